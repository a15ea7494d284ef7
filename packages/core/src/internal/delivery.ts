import { ExhaustedAction } from "../config.js";
import { deadLetterMetadata, type FailureRecord } from "../dead-letter.js";
import { describeError, isRetryable, PrismError, PrismErrorCode } from "../errors.js";
import type { Message } from "../message.js";
import type { MessageProcessor, ProcessContext } from "../processor.js";
import { backoffDelay } from "../retry-policy.js";
import { isPromiseLike, sleep } from "./async.js";
import type { CheckpointStore } from "./checkpoint-store.js";
import type { TrackedMessage } from "./checkpoint-tracker.js";
import type { RunDeps } from "./run-deps.js";

/** A first attempt made before the message reached `deliver` (the inline path), and how it failed. */
export interface FailedFirstAttempt {
  readonly error: unknown;
}

type Outcome =
  | { readonly kind: "succeeded" }
  | { readonly kind: "aborted" }
  | { readonly kind: "exhausted"; readonly failure: FailureRecord; readonly cause: unknown };

const succeeded: Outcome = { kind: "succeeded" };

/** Acknowledgements in flight before the consumer waits for one to be answered. */
const maxPendingAcks = 1024;

/**
 * What happens to one message (or batch) once taken from the source: attempts with backoff, then
 * settlement — acknowledged and checkpointed on success or after dead-lettering, given back when
 * aborted, or the consumer stopped when the policy says so.
 */
export class Delivery {
  readonly maxAttempts: number;
  private readonly pendingAcks = new Set<Promise<void>>();

  constructor(
    private readonly deps: RunDeps,
    private readonly checkpoints: CheckpointStore,
    /** Aborted when stop() runs out of patience. */
    private readonly workSignal: AbortSignal,
    private readonly fail: (error: unknown) => void,
  ) {
    this.maxAttempts = deps.behavior.retry.maxRetries + 1;
  }

  context(attempt: number): ProcessContext {
    return {
      attempt,
      maxAttempts: this.maxAttempts,
      signal: this.workSignal,
      consumerName: this.deps.name,
      consumerGroup: this.deps.behavior.consumerGroup,
    };
  }

  async deliver(
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
    const unconvertible = messages.find((message) => message.conversionError !== undefined);
    if (unconvertible) return this.refuse(unconvertible);
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
        if (this.workSignal.aborted) return { kind: "aborted" };
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
        this.checkpoints.countRetry();
        const delay = backoffDelay(behavior.retry, attempt, random);
        if (!(await sleep(delay, this.workSignal))) return { kind: "aborted" };
      }
    }
  }

  /** A record its driver could not convert: never processed, it goes straight to `on_exhausted`. */
  private refuse(message: Message): Outcome {
    const error = new PrismError(
      PrismErrorCode.MessageUnconvertible,
      `message ${message.id} on "${message.topic}" could not be converted: ${message.conversionError}`,
    );
    this.deps.counters.failures++;
    this.deps.recordError(error);
    const now = Date.now();
    const failure = { error: describeError(error), attempts: 0, firstFailureAt: now, lastFailureAt: now };
    return { kind: "exhausted", failure, cause: error };
  }

  /**
   * Marks messages finished so the checkpoint can move past them. A queue's acknowledgements are
   * pipelined: the next message is taken while they travel, the checkpoint moves once they are
   * confirmed, and `acknowledged()` lets stop wait for them. At most `maxPendingAcks` travel at once.
   */
  async settle(messages: Message[], entries: TrackedMessage[]): Promise<void> {
    const source = this.deps.slots.messageSource;
    if (source.kind !== "queue") {
      this.finish(entries);
      return;
    }
    const acknowledge = (message: Message) =>
      source.driver.acknowledge(message).catch((error) => {
        // Processing succeeded; the backend may deliver the message again (at-least-once).
        this.deps.counters.acknowledgeErrors++;
        this.deps.recordError(error);
      });
    const acks =
      messages.length === 1 ? acknowledge(messages[0] as Message) : Promise.all(messages.map(acknowledge));
    const settled: Promise<void> = acks.then(() => {
      this.pendingAcks.delete(settled);
      this.finish(entries);
    });
    this.pendingAcks.add(settled);
    if (this.pendingAcks.size >= maxPendingAcks) await Promise.race(this.pendingAcks);
  }

  /** Resolves once every acknowledgement sent so far has been answered. */
  async acknowledged(): Promise<void> {
    while (this.pendingAcks.size > 0) await Promise.all([...this.pendingAcks]);
  }

  private finish(entries: TrackedMessage[]): void {
    for (const entry of entries) this.checkpoints.tracker.finish(entry);
    const { behavior } = this.deps;
    if (behavior.autoCommit && behavior.commitIntervalMs === 0) this.checkpoints.commitInBackground();
  }

  /** Gives unfinished messages back to a queue so they are delivered again without waiting for a timeout. */
  async release(messages: Message[]): Promise<void> {
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
        if (attempt >= this.maxAttempts || !(await sleep(delay, this.workSignal))) {
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
}
