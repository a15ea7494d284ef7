import { ExhaustedAction } from "../../config.js";
import { deadLetterMetadata, type FailureRecord } from "../../dead-letter.js";
import { describeError, PrismError, PrismErrorCode } from "../../errors.js";
import type { QueueInterface } from "../../interfaces.js";
import type { Logger } from "../../logger.js";
import type { Message } from "../../message.js";
import type { ConsumerIdentity, Middleware } from "../../middleware.js";
import { backoffDelay, type RetryPolicy } from "../../retry-policy.js";
import { isPromiseLike, sleep } from "../async.js";
import type { EventHub } from "../event-hub.js";
import { Abandoned, ConsumerStop, failureOf } from "../outcomes.js";

export interface GiveUpOptions {
  readonly onExhausted: ExhaustedAction;
  readonly deadLetterQueue: QueueInterface | undefined;
  readonly deadLetterTopic: string;
  readonly consumer: ConsumerIdentity;
  /** Backoff between tries of a failing dead-letter queue (as many tries as processing attempts). */
  readonly retry: RetryPolicy;
  readonly maxAttempts: number;
  readonly random: () => number;
  readonly workSignal: AbortSignal;
  readonly hub: EventHub;
  readonly logger: Logger;
  readonly recordError: (error: unknown) => void;
}

/** What happens to messages that failed for good, per `onExhausted`. */
export type GiveUp = (messages: readonly Message[], error: unknown) => Promise<void>;

/**
 * `onExhausted`: enqueue each message on the dead-letter queue with its failure (retried with backoff;
 * if the DLQ keeps failing the consumer fails rather than lose it), drop it with a warning, or stop the
 * consumer (the message stays unsettled and comes again after a restart). Resolves once the messages may
 * be settled; throws to stop the consumer.
 */
export function giveUp(o: GiveUpOptions): GiveUp {
  return async (messages, error) => {
    const failure = failureOf(error);
    if (o.onExhausted === ExhaustedAction.Stop) {
      const ids = messages.map((m) => m.id).join(", ");
      throw new ConsumerStop(
        `message ${ids} on "${o.consumer.topic}" failed ${failure.attempts} attempt(s): ${failure.error}; ` +
          "the consumer stopped (on_exhausted: stop); bind a dead-letter queue or choose on_exhausted: drop",
        { cause: error },
      );
    }
    for (const message of messages) {
      if (o.onExhausted === ExhaustedAction.DeadLetter) {
        await enqueue(o, message, failure);
        o.hub.deadLettered(message, failure);
      } else {
        o.logger.warn("dropped a message that failed every attempt (on_exhausted: drop)", {
          topic: message.topic,
          id: message.id,
          attempts: failure.attempts,
          error: failure.error,
        });
        o.hub.dropped(message, failure);
      }
    }
  };
}

async function enqueue(o: GiveUpOptions, message: Message, failure: FailureRecord): Promise<void> {
  const dlq = o.deadLetterQueue;
  if (!dlq) throw new PrismError(PrismErrorCode.Lifecycle, "on_exhausted is dead-letter but no DLQ is bound");
  const metadata = deadLetterMetadata(message, failure, o.consumer);
  for (let attempt = 1; ; attempt++) {
    try {
      await dlq.enqueue(o.deadLetterTopic, message.payload, metadata);
      return;
    } catch (error) {
      o.hub.driverError("dead-letter", error);
      o.recordError(error);
      const delay = backoffDelay(o.retry, attempt, o.random);
      if (attempt >= o.maxAttempts || !(await sleep(delay, o.workSignal))) {
        throw new ConsumerStop(
          `message ${message.id} on "${o.consumer.topic}" could not be dead-lettered to ` +
            `"${o.deadLetterTopic}": ${describeError(error)}`,
          { cause: error },
        );
      }
    }
  }
}

/** The outermost stage: a delivery that failed for good is given up per `onExhausted`. */
export function deadLetter(giveUpWith: GiveUp): Middleware {
  const onFailure = (messages: readonly Message[], error: unknown) => {
    if (error instanceof Abandoned || error instanceof ConsumerStop) throw error;
    return giveUpWith(messages, error);
  };
  return (next) => (delivery) => {
    let result: void | Promise<void>;
    try {
      result = next(delivery);
    } catch (error) {
      return onFailure(delivery.messages, error);
    }
    if (isPromiseLike(result))
      return result.then(undefined, (error: unknown) => onFailure(delivery.messages, error));
  };
}
