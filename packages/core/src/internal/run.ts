import { isResumableSource } from "../capabilities.js";
import { describeError, PrismError, PrismErrorCode } from "../errors.js";
import type { Message } from "../message.js";
import type { MessageProcessor } from "../processor.js";
import { type ConsumerState, stateKey } from "../state.js";
import { isPromiseLike, settlesWithin } from "./async.js";
import { CheckpointStore } from "./checkpoint-store.js";
import { Delivery, type FailedFirstAttempt } from "./delivery.js";
import type { RunDeps } from "./run-deps.js";

export type { RunDeps } from "./run-deps.js";

export type RunPhase = "running" | "draining" | "stopped" | "failed";

/**
 * One start-to-stop life of a consumer: pulls from the source no faster than the processor frees
 * capacity, retries and dead-letters per message (or batch), tracks and commits the checkpoint, and
 * shuts down gracefully.
 */
export class ConsumerRun {
  phase: RunPhase = "running";
  failure: Error | undefined;
  readonly key: string;
  private readonly checkpoints: CheckpointStore;
  private readonly delivery: Delivery;
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
  private markClosed: (failure: Error | undefined) => void = () => {};
  /** Resolves once the run has stopped: with the error that failed it, or `undefined`. */
  readonly closed = new Promise<Error | undefined>((resolve) => {
    this.markClosed = resolve;
  });

  constructor(private readonly deps: RunDeps) {
    const { behavior, slots } = deps;
    this.key = stateKey(behavior.consumerGroup, behavior.topic, deps.name);
    this.checkpoints = new CheckpointStore({
      key: this.key,
      stateStore: slots.stateStore,
      source: slots.messageSource.driver,
      topic: behavior.topic,
      group: behavior.consumerGroup,
      counters: deps.counters,
      logger: deps.logger,
      recordError: deps.recordError,
    });
    this.delivery = new Delivery(deps, this.checkpoints, this.workAbort.signal, (error) => this.fail(error));
  }

  get inFlight(): number {
    return this.inFlightMessages;
  }

  get lastCommitAt(): number | undefined {
    return this.checkpoints.lastCommitAt;
  }

  get checkpoint() {
    const tracker = this.checkpoints.tracker;
    return { offsets: { ...tracker.offsets }, lastMessageId: tracker.lastMessageId };
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
    const stored = await this.checkpoints.load();
    const source = slots.messageSource;
    if (isResumableSource(source.driver)) {
      // Re-read on every lookup: a partition may be assigned long after start, when the store has moved on.
      await source.driver.resumeAfter(behavior.topic, behavior.consumerGroup, (partition) =>
        this.checkpoints.storedOffset(partition),
      );
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
      this.commitTimer = setInterval(() => this.checkpoints.commitInBackground(), behavior.commitIntervalMs);
      this.commitTimer.unref?.();
    }
  }

  /** Writes the checkpoint if it moved since the last commit; resolves with the state as stored. */
  commit(): Promise<ConsumerState> {
    return this.checkpoints.commit();
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
    const inFlightAndAcks = async () => {
      await Promise.allSettled([...this.inFlightWork]);
      await this.delivery.acknowledged();
    };
    await settlesWithin(inFlightAndAcks(), timeoutMs);
    await finalCommit();
    this.pullAbort.abort();
    // The loop may dispatch one last message it had already pulled, so wait for it before the work.
    const drained = async () => {
      await this.loop;
      await inFlightAndAcks();
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
    // One message at a time: its first attempt runs inline, and only a failure takes the general
    // (retrying) path. A pub/sub message then needs no bookkeeping beyond the checkpoint; a queue's is
    // acknowledged in the background (pipelined) and finishes when the backend confirms.
    const inline = concurrency === 1;
    const queue = slots.messageSource.kind === "queue";
    const processor = this.deps.processor as MessageProcessor;
    const firstAttempt = this.delivery.context(1);
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
      // A record the driver could not convert takes the general path, which never processes it.
      if (!inline || message.conversionError !== undefined) {
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
      if (queue) {
        await this.delivery.settle([message], [this.checkpoints.tracker.begin(message)]);
        continue;
      }
      this.checkpoints.tracker.complete(message);
      if (commitEach) this.checkpoints.commitInBackground();
    }
  }

  /**
   * Collects batches with one await per message, as `pullMessages` takes them. A batch goes out when it
   * is full, or from its timer `batchMaxWait` after its first message while the loop waits on the
   * source. A batch starts only when there is room to run it (`concurrency` batches at a time), so with
   * concurrency 1 batches never overlap; its first message waits for that room.
   */
  private async pullBatches(iterator: AsyncIterator<Message>): Promise<void> {
    const { batchSize, batchMaxWaitMs, concurrency } = this.deps.behavior;
    let batch: Message[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): Promise<void> => {
      clearTimeout(timer);
      timer = undefined;
      const messages = batch;
      batch = [];
      this.deps.counters.received += messages.length;
      return this.dispatch(messages);
    };
    try {
      while (!this.stopping) {
        const next = await iterator.next();
        if (next.done) return;
        if (next.value.conversionError !== undefined) {
          // Alone, after the batch before it: in a batch it would take good messages to the DLQ with it.
          if (batch.length > 0) {
            const work = flush();
            if (concurrency === 1) await work;
          }
          while (this.inFlightWork.size >= concurrency && !this.stopping) await this.capacityFreed();
          this.deps.counters.received++;
          const work = this.dispatch([next.value]);
          if (concurrency === 1) await work;
          continue;
        }
        if (batch.length === 0) {
          while (this.inFlightWork.size >= concurrency && !this.stopping) await this.capacityFreed();
          timer = setTimeout(() => void flush(), batchMaxWaitMs);
        }
        batch.push(next.value);
        if (batch.length >= batchSize) {
          const work = flush();
          if (concurrency === 1) await work;
        }
      }
    } finally {
      // Taken before the source ended or the stop began: processed while the consumer drains, after
      // the batch before it when there is no room (stop waits for the loop, so for this too).
      if (batch.length > 0) {
        while (this.inFlightWork.size >= concurrency) await this.capacityFreed();
        void flush();
      }
    }
  }

  private capacityFreed(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeLoop = resolve;
    });
  }

  private dispatch(messages: Message[], failedFirstAttempt?: FailedFirstAttempt): Promise<void> {
    this.inFlightMessages += messages.length;
    const tracker = this.checkpoints.tracker;
    const entries = messages.map((message) => tracker.begin(message));
    const lane = this.laneOf(messages);
    const previous = lane === undefined ? undefined : this.lanes.get(lane);
    const handle = () => this.delivery.deliver(messages, entries, failedFirstAttempt);
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
}
