import { isPartitionedSource, isResumableSource } from "../capabilities.js";
import { ExhaustedAction } from "../config.js";
import { deadLetterMetadata, type FailureRecord } from "../dead-letter.js";
import { describeError, isRetryable, PrismError, PrismErrorCode } from "../errors.js";
import type { ConsumerCounters } from "../health.js";
import type { Logger } from "../logger.js";
import type { Message, Offset } from "../message.js";
import type { BatchProcessor, MessageProcessor, ProcessContext } from "../processor.js";
import { backoffDelay } from "../retry-policy.js";
import type { BoundSlots } from "../slots.js";
import { type ConsumerState, decodeState, encodeState, stateKey } from "../state.js";
import { isPromiseLike, settlesWithin, sleep } from "./async.js";
import { CheckpointTracker, type TrackedMessage } from "./checkpoint-tracker.js";
import type { ResolvedBehavior } from "./resolve-behavior.js";

const succeeded: Outcome = { kind: "succeeded" };

export interface RunDeps {
  readonly name: string;
  readonly behavior: ResolvedBehavior;
  readonly onExhausted: ExhaustedAction;
  readonly slots: BoundSlots;
  readonly processor: MessageProcessor | undefined;
  readonly batchProcessor: BatchProcessor | undefined;
  readonly logger: Logger;
  /** Lifetime totals, owned by the consumer and updated here. */
  readonly counters: ConsumerCounters;
  readonly random: () => number;
  readonly recordError: (error: unknown) => void;
}

export type RunPhase = "running" | "draining" | "stopped" | "failed";

/** A first attempt made before the message was handed to `handle` (the inline path), and how it failed. */
interface FailedFirstAttempt {
  readonly error: unknown;
}

type Outcome =
  | { readonly kind: "succeeded" }
  | { readonly kind: "aborted" }
  | { readonly kind: "exhausted"; readonly failure: FailureRecord; readonly cause: unknown };

/**
 * One start-to-stop life of a consumer: pulls from the source no faster than the processor frees
 * capacity, retries and dead-letters per message (or batch), tracks and commits the checkpoint, and
 * shuts down gracefully.
 */
export class ConsumerRun {
  phase: RunPhase = "running";
  failure: Error | undefined;
  lastCommitAt: number | undefined;
  readonly key: string;
  private tracker = new CheckpointTracker({ offsets: {}, offset: null, lastMessageId: null });
  private retryCount = 0;
  /** What the store holds; nothing is written until the checkpoint or the retry count moves. */
  private committed = { version: 0, retryCount: 0 };
  /** The state as last read at start or written since. */
  private lastState: ConsumerState | undefined;
  private commitChain: Promise<unknown> = Promise.resolve();
  private commitQueued = false;
  private commitTimer: ReturnType<typeof setInterval> | undefined;
  /** Set when shutdown begins; a plain field because the pull loop checks it per message. */
  private stopping = false;
  private readonly pullAbort = new AbortController();
  private readonly workAbort = new AbortController();
  private readonly inFlightWork = new Set<Promise<void>>();
  /** With `ordering: "partition"`: the last work queued per partition; the next one runs after it. */
  private readonly lanes = new Map<string, Promise<void>>();
  private inFlightMessages = 0;
  private wakeLoop: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();
  private shutdownPromise: Promise<void> | undefined;
  private readonly maxAttempts: number;
  private markClosed: (failure: Error | undefined) => void = () => {};
  /** Resolves once the run has stopped: with the error that failed it, or `undefined`. */
  readonly closed = new Promise<Error | undefined>((resolve) => {
    this.markClosed = resolve;
  });

  constructor(private readonly deps: RunDeps) {
    this.key = stateKey(deps.behavior.consumerGroup, deps.behavior.topic, deps.name);
    this.maxAttempts = deps.behavior.retry.maxRetries + 1;
  }

  get inFlight(): number {
    return this.inFlightMessages;
  }

  get checkpoint() {
    return { offsets: { ...this.tracker.offsets }, lastMessageId: this.tracker.lastMessageId };
  }

  /** Records that `open()` failed: nothing was consumed, nothing will be committed. */
  failedToOpen(error: unknown): void {
    this.failure = error instanceof Error ? error : new Error(describeError(error));
    this.phase = "failed";
    this.markClosed(this.failure);
  }

  /** Loads the checkpoint, positions the source after it when it can, and starts pulling. */
  async open(): Promise<void> {
    const { behavior, slots, logger } = this.deps;
    const stored = await this.readState();
    if (stored) {
      this.tracker = new CheckpointTracker({
        offsets: stored.offsets,
        offset: stored.offset,
        lastMessageId: stored.last_message_id,
      });
      this.retryCount = stored.retry_count;
      this.committed = { version: this.tracker.version, retryCount: this.retryCount };
      this.lastState = stored;
    }
    const source = slots.messageSource;
    if (isResumableSource(source.driver)) {
      // Re-read on every lookup: a partition may be assigned long after start, when the store has moved on.
      await source.driver.resumeAfter(behavior.topic, behavior.consumerGroup, async (partition) => {
        const state = await this.readState();
        return state?.offsets[partition];
      });
    } else if (stored && Object.keys(stored.offsets).length > 0) {
      logger.info("message source cannot start from a position; it continues where the backend left off", {
        key: this.key,
      });
    }
    const signal = this.pullAbort.signal;
    const messages =
      source.kind === "pubsub"
        ? await source.driver.subscribe(behavior.topic, behavior.consumerGroup, { signal })
        : await source.driver.receive(behavior.topic, {
            signal,
            group: behavior.consumerGroup,
            consumerId: this.deps.name,
          });
    this.loop = this.pull(messages);
    if (behavior.autoCommit && behavior.commitIntervalMs > 0) {
      this.commitTimer = setInterval(() => this.commitInBackground(), behavior.commitIntervalMs);
      this.commitTimer.unref?.();
    }
  }

  /** Writes the checkpoint if it moved since the last commit; resolves with the state as stored. */
  commit(): Promise<ConsumerState> {
    const next = this.commitChain.then(() => this.writeState());
    this.commitChain = next.catch(() => {});
    return next;
  }

  /**
   * Stops pulling, lets in-flight work finish for up to `timeoutMs`, then aborts it; commits what
   * finished (with auto-commit); ends the subscription. Safe to call more than once.
   */
  shutdown(timeoutMs: number): Promise<void> {
    this.shutdownPromise ??= this.drainAndClose(timeoutMs);
    return this.shutdownPromise;
  }

  private async drainAndClose(timeoutMs: number): Promise<void> {
    const { behavior, slots, logger } = this.deps;
    this.phase = "draining";
    this.stopping = true;
    this.wakeLoop?.();
    clearInterval(this.commitTimer);
    const deadline = Date.now() + timeoutMs;
    let commitError: unknown;
    const finalCommit = async () => {
      if (!behavior.autoCommit) return;
      commitError = undefined;
      await this.commit().catch((error) => {
        commitError = error;
        this.deps.recordError(error);
      });
    };
    // The source stays open while in-flight work finishes and is committed: a queue keeps that work
    // leased (e.g. refreshes its visibility) only while its receive runs, and a partitioned source
    // owns its partitions (so may commit them) only until it leaves the group.
    await settlesWithin(Promise.allSettled([...this.inFlightWork]), timeoutMs);
    await finalCommit();
    this.pullAbort.abort();
    // The loop may dispatch one last message it had already pulled, so wait for it before the work.
    const drained = async () => {
      await this.loop;
      await Promise.allSettled([...this.inFlightWork]);
    };
    if (!(await settlesWithin(drained(), Math.max(0, deadline - Date.now())))) {
      logger.warn("shutdown timeout reached: aborting in-flight work", { inFlight: this.inFlightMessages });
      this.workAbort.abort();
      // Processors that ignore the signal get one more (short) chance before they are left behind.
      await settlesWithin(drained(), Math.min(timeoutMs, 1000));
    }
    await finalCommit();
    if (slots.messageSource.kind === "pubsub") {
      await slots.messageSource.driver
        .unsubscribe(behavior.topic, behavior.consumerGroup)
        .catch((error) => logger.warn("unsubscribe failed", { error: describeError(error) }));
    }
    this.phase = this.failure ? "failed" : "stopped";
    this.markClosed(this.failure);
    if (commitError !== undefined && !this.failure) throw commitError;
  }

  /** Stops the consumer because of `error`; in-flight work still finishes, nothing is checkpointed past it. */
  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = error instanceof Error ? error : new Error(describeError(error));
    this.deps.recordError(error);
    this.deps.logger.error("consumer failed", { error: describeError(error) });
    void this.shutdown(this.deps.behavior.shutdownTimeoutMs).catch(() => {});
  }

  private async pull(messages: AsyncIterable<Message>): Promise<void> {
    const iterator = messages[Symbol.asyncIterator]();
    try {
      if (this.deps.behavior.batchSize > 0) await this.pullBatches(iterator);
      else await this.pullMessages(iterator);
      if (!this.stopping) {
        throw new PrismError(
          PrismErrorCode.SourceClosed,
          "the message source ended while the consumer was running",
        );
      }
    } catch (error) {
      if (!this.stopping) this.fail(error);
    } finally {
      await Promise.resolve(iterator.return?.()).catch(() => {});
    }
  }

  private async pullMessages(iterator: AsyncIterator<Message>): Promise<void> {
    const { behavior, counters, slots } = this.deps;
    const concurrency = behavior.concurrency;
    // One pub/sub message at a time needs no acknowledgement and no bookkeeping beyond the checkpoint:
    // its first attempt runs inline, and only a failure takes the general (retrying) path.
    const inline = concurrency === 1 && slots.messageSource.kind === "pubsub";
    const processor = this.deps.processor as MessageProcessor;
    const firstAttempt = this.context(1);
    const commitEach = behavior.autoCommit && behavior.commitIntervalMs === 0;
    while (!this.stopping) {
      if (this.inFlightMessages >= concurrency) {
        await this.capacityFreed();
        continue;
      }
      const next = await iterator.next();
      if (next.done) return;
      const message = next.value;
      counters.received++;
      if (!inline) {
        const work = this.dispatch([message]);
        if (concurrency === 1) await work;
        continue;
      }
      this.inFlightMessages = 1;
      let failed: FailedFirstAttempt | undefined;
      try {
        const result = processor(message, firstAttempt);
        if (isPromiseLike(result)) await result;
      } catch (error) {
        failed = { error };
      }
      this.inFlightMessages = 0;
      if (failed) {
        await this.dispatch([message], failed);
        continue;
      }
      counters.processed++;
      this.tracker.complete(message);
      if (commitEach) this.commitInBackground();
    }
  }

  private async pullBatches(iterator: AsyncIterator<Message>): Promise<void> {
    const { batchSize, batchMaxWaitMs, concurrency } = this.deps.behavior;
    let pending: Promise<IteratorResult<Message>> | undefined;
    while (!this.stopping) {
      if (this.inFlightMessages >= concurrency * batchSize) {
        await this.capacityFreed();
        continue;
      }
      const first = await (pending ?? iterator.next());
      pending = undefined;
      if (first.done) return;
      const batch = [first.value];
      // One timer per batch; each pull races it, and a pull that loses is kept for the next batch.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<"deadline">((resolve) => {
        timer = setTimeout(() => resolve("deadline"), batchMaxWaitMs);
      });
      let ended = false;
      while (batch.length < batchSize && !this.stopping) {
        pending = iterator.next();
        const result = await Promise.race([pending, deadline]);
        if (result === "deadline") break;
        pending = undefined;
        if (result.done) {
          ended = true;
          break;
        }
        batch.push(result.value);
      }
      clearTimeout(timer);
      this.deps.counters.received += batch.length;
      const work = this.dispatch(batch);
      if (concurrency === 1) await work;
      if (ended) return;
    }
  }

  private capacityFreed(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeLoop = resolve;
    });
  }

  private dispatch(messages: Message[], failedFirstAttempt?: FailedFirstAttempt): Promise<void> {
    this.inFlightMessages += messages.length;
    const entries = messages.map((message) => this.tracker.begin(message));
    const lane = this.laneOf(messages);
    const previous = lane === undefined ? undefined : this.lanes.get(lane);
    const handle = () => this.handle(messages, entries, failedFirstAttempt);
    const work: Promise<void> = (previous ? previous.then(handle) : handle())
      .catch((error) => this.fail(error))
      .finally(() => {
        this.inFlightMessages -= messages.length;
        this.inFlightWork.delete(work);
        if (lane !== undefined && this.lanes.get(lane) === work) this.lanes.delete(lane);
        const wake = this.wakeLoop;
        this.wakeLoop = undefined;
        wake?.();
      });
    this.inFlightWork.add(work);
    if (lane !== undefined) this.lanes.set(lane, work);
    return work;
  }

  /** The lane work must wait in: its partition with `ordering: "partition"` (batches share one lane). */
  private laneOf(messages: Message[]): string | undefined {
    if (this.deps.behavior.ordering !== "partition") return undefined;
    if (messages.length > 1) return "*batches";
    return messages[0]?.position?.partition ?? "";
  }

  private async handle(
    messages: Message[],
    entries: TrackedMessage[],
    failedFirstAttempt: FailedFirstAttempt | undefined,
  ): Promise<void> {
    const outcome = await this.attempt(messages, failedFirstAttempt);
    if (outcome.kind === "succeeded") {
      this.deps.counters.processed += messages.length;
      await this.settle(messages, entries);
    } else if (outcome.kind === "aborted") {
      this.deps.counters.abandoned += messages.length;
      await this.release(messages);
    } else {
      await this.giveUp(messages, entries, outcome.failure, outcome.cause);
    }
  }

  private async attempt(
    messages: Message[],
    failedFirstAttempt: FailedFirstAttempt | undefined,
  ): Promise<Outcome> {
    const { processor, batchProcessor, behavior, counters, random } = this.deps;
    const signal = this.workAbort.signal;
    let firstFailureAt = 0;
    for (let attempt = 1; ; attempt++) {
      const context = this.context(attempt);
      try {
        if (attempt === 1 && failedFirstAttempt) throw failedFirstAttempt.error;
        const result = batchProcessor
          ? batchProcessor(messages, context)
          : (processor as MessageProcessor)(messages[0] as Message, context);
        if (isPromiseLike(result)) await result;
        return succeeded;
      } catch (error) {
        if (signal.aborted) return { kind: "aborted" };
        const now = Date.now();
        firstFailureAt ||= now;
        counters.failures++;
        this.deps.recordError(error);
        if (attempt >= this.maxAttempts || !isRetryable(error)) {
          const failure = {
            error: describeError(error),
            attempts: attempt,
            firstFailureAt,
            lastFailureAt: now,
          };
          return { kind: "exhausted", failure, cause: error };
        }
        counters.retries++;
        this.retryCount++;
        if (!(await sleep(backoffDelay(behavior.retry, attempt, random), signal))) return { kind: "aborted" };
      }
    }
  }

  private context(attempt: number): ProcessContext {
    return {
      attempt,
      maxAttempts: this.maxAttempts,
      signal: this.workAbort.signal,
      consumerName: this.deps.name,
      consumerGroup: this.deps.behavior.consumerGroup,
    };
  }

  /** Acknowledges (queues) and marks finished, so the checkpoint can move past these messages. */
  private async settle(messages: Message[], entries: TrackedMessage[]): Promise<void> {
    const source = this.deps.slots.messageSource;
    if (source.kind === "queue") {
      for (const message of messages) {
        await source.driver.acknowledge(message).catch((error) => {
          // Processing succeeded; the backend may deliver the message again (at-least-once).
          this.deps.counters.acknowledgeErrors++;
          this.deps.recordError(error);
        });
      }
    }
    for (const entry of entries) this.tracker.finish(entry);
    if (this.deps.behavior.autoCommit && this.deps.behavior.commitIntervalMs === 0) this.commitInBackground();
  }

  /** Gives unfinished messages back to a queue so they are delivered again without waiting for a timeout. */
  private async release(messages: Message[]): Promise<void> {
    const source = this.deps.slots.messageSource;
    if (source.kind !== "queue") return;
    for (const message of messages) {
      await source.driver.reject(message, true).catch((error) => this.deps.recordError(error));
    }
  }

  private async giveUp(
    messages: Message[],
    entries: TrackedMessage[],
    failure: FailureRecord,
    cause: unknown,
  ) {
    const { onExhausted, logger, counters, behavior } = this.deps;
    const topic = behavior.topic;
    if (onExhausted === ExhaustedAction.Stop) {
      await this.release(messages);
      const ids = messages.map((m) => m.id).join(", ");
      this.fail(
        new PrismError(
          PrismErrorCode.DeliveryFailed,
          `message ${ids} on "${topic}" failed ${failure.attempts} attempt(s): ${failure.error}; ` +
            "the consumer stopped (on_exhausted: stop); bind a dead-letter queue or choose on_exhausted: drop",
          { cause },
        ),
      );
      return;
    }
    if (onExhausted === ExhaustedAction.DeadLetter) {
      for (const message of messages) await this.deadLetter(message, failure);
      counters.deadLettered += messages.length;
    } else {
      counters.dropped += messages.length;
      logger.warn("dropped a message that failed every attempt (on_exhausted: drop)", {
        topic,
        ids: messages.map((m) => m.id),
        attempts: failure.attempts,
        error: failure.error,
      });
    }
    await this.settle(messages, entries);
  }

  /** Enqueues on the DLQ, retrying with the same backoff; if the DLQ keeps failing the consumer fails. */
  private async deadLetter(message: Message, failure: FailureRecord): Promise<void> {
    const { slots, behavior, name, random } = this.deps;
    const dlq = slots.deadLetterQueue;
    if (!dlq)
      throw new PrismError(PrismErrorCode.Lifecycle, "on_exhausted is dead-letter but no DLQ is bound");
    const metadata = deadLetterMetadata(message, failure, { name, group: behavior.consumerGroup });
    for (let attempt = 1; ; attempt++) {
      try {
        await dlq.enqueue(behavior.deadLetterTopic, message.payload, metadata);
        return;
      } catch (error) {
        this.deps.recordError(error);
        const delay = backoffDelay(behavior.retry, attempt, random);
        if (attempt >= this.maxAttempts || !(await sleep(delay, this.workAbort.signal))) {
          throw new PrismError(
            PrismErrorCode.DeliveryFailed,
            `message ${message.id} on "${behavior.topic}" could not be dead-lettered to ` +
              `"${behavior.deadLetterTopic}": ${describeError(error)}`,
            { cause: error },
          );
        }
      }
    }
  }

  private commitInBackground(): void {
    if (this.commitQueued) return;
    this.commitQueued = true;
    const next = this.commitChain.then(() => {
      this.commitQueued = false;
      return this.writeState();
    });
    this.commitChain = next.catch((error) => {
      this.deps.recordError(error);
      this.deps.logger.warn("checkpoint commit failed; it is retried at the next commit", {
        key: this.key,
        error: describeError(error),
      });
    });
  }

  private async writeState(): Promise<ConsumerState> {
    const tracker = this.tracker;
    const version = tracker.version;
    const retryCount = this.retryCount;
    if (version === this.committed.version && retryCount === this.committed.retryCount) {
      return this.lastState ?? this.snapshot(tracker.offsets);
    }
    const state = this.snapshot(await this.offsetsToStore());
    await this.deps.slots.stateStore.set(this.key, encodeState(state));
    this.committed = { version, retryCount };
    this.lastState = state;
    this.lastCommitAt = Date.now();
    this.deps.counters.commits++;
    return state;
  }

  private snapshot(offsets: Record<string, Offset>): ConsumerState {
    return {
      offset: this.tracker.lastOffset,
      offsets: { ...offsets },
      last_message_id: this.tracker.lastMessageId,
      last_updated: new Date().toISOString(),
      retry_count: this.retryCount,
    };
  }

  /**
   * The offsets to write. A partitioned source's members share the state key, so only the partitions
   * this process owns are taken from the tracker; the rest are kept as stored (other members' work).
   */
  private async offsetsToStore(): Promise<Record<string, Offset>> {
    const { slots, behavior } = this.deps;
    const source = slots.messageSource.driver;
    if (!isPartitionedSource(source)) return { ...this.tracker.offsets };
    const offsets = { ...(await this.readState())?.offsets };
    for (const partition of source.ownedPartitions(behavior.topic, behavior.consumerGroup)) {
      const offset = this.tracker.offsets[partition];
      if (offset !== undefined) offsets[partition] = offset;
    }
    return offsets;
  }

  private async readState(): Promise<ConsumerState | undefined> {
    const bytes = await this.deps.slots.stateStore.get(this.key);
    return bytes === undefined ? undefined : decodeState(bytes, this.key);
  }
}
