import { ExhaustedAction } from "../../config.js";
import { deadLetterMetadata, type FailureRecord } from "../../dead-letter.js";
import { describeError } from "../../errors.js";
import type { QueueInterface } from "../../interfaces.js";
import type { Logger } from "../../logger.js";
import type { Message, Metadata } from "../../message.js";
import type { ConsumerIdentity, Middleware } from "../../middleware.js";
import { backoffDelay, type RetryPolicy } from "../../retry-policy.js";
import { isPromiseLike, sleep } from "../async.js";
import type { EventHub } from "../event-hub.js";
import { Abandoned, ConsumerStop, failureOf } from "../outcomes.js";
import { park } from "./park.js";
import { nextRound, type RetryTopic } from "./retry-topic.js";

export interface GiveUpOptions {
  readonly onExhausted: ExhaustedAction;
  readonly deadLetterQueue: QueueInterface | undefined;
  readonly deadLetterTopic: string;
  /** With `onExhausted: "retry-topic"`: where failed messages go, and how they get there. */
  readonly retryTopic:
    | (RetryTopic & {
        readonly send: (topic: string, payload: Uint8Array, metadata: Metadata) => Promise<string>;
      })
    | undefined;
  readonly consumer: ConsumerIdentity;
  /** Backoff between tries of a failing dead-letter queue (as many tries as processing attempts). */
  readonly retry: RetryPolicy;
  readonly maxAttempts: number;
  readonly random: () => number;
  readonly workSignal: AbortSignal;
  /** Aborted when `stop()` begins: ends a park. */
  readonly stopSignal: AbortSignal;
  readonly hub: EventHub;
  readonly logger: Logger;
  readonly recordError: (error: unknown) => void;
}

/** What happens to messages that failed for good, per `onExhausted`. */
export type GiveUp = (messages: readonly Message[], error: unknown) => Promise<void>;

/**
 * `onExhausted`: enqueue each message on the dead-letter queue with its failure (retried with backoff;
 * if the DLQ keeps failing the consumer fails rather than lose it), publish it to the retry topic (the
 * same way; after its last round, the DLQ), drop it with a warning, park it (unsettled, its partition
 * stopped until a restart), or stop the consumer (the message stays unsettled and comes again after a
 * restart). Resolves once the messages may be settled; throws to stop the consumer or give them back.
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
    if (o.onExhausted === ExhaustedAction.Park) {
      return park(messages, failure, { ...o, topic: o.consumer.topic });
    }
    for (const message of messages) {
      const retry = o.retryTopic;
      const round = retry && nextRound(retry, message, failure, o.consumer, Date.now());
      if (o.onExhausted === ExhaustedAction.RetryTopic && retry && round) {
        await persistently(o, message, `sent to the retry topic "${retry.topic}"`, () =>
          retry.send(retry.topic, message.payload, round.metadata),
        );
        o.hub.sentToRetryTopic(message, failure, retry.topic, round.round);
      } else if (
        o.onExhausted === ExhaustedAction.DeadLetter ||
        o.onExhausted === ExhaustedAction.RetryTopic
      ) {
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
  if (!dlq) {
    throw new ConsumerStop(
      `message ${message.id} on "${o.consumer.topic}" failed for good (${failure.error}) and no dead-letter ` +
        "queue is bound; the consumer stopped (bind slots.dead_letter_queue)",
    );
  }
  const metadata = deadLetterMetadata(message, failure, o.consumer);
  await persistently(o, message, `dead-lettered to "${o.deadLetterTopic}"`, () =>
    dlq.enqueue(o.deadLetterTopic, message.payload, metadata),
  );
}

/** Sends `message` on with backoff (as many tries as processing attempts); stops the consumer rather than lose it. */
async function persistently(
  o: GiveUpOptions,
  message: Message,
  /** What failed, e.g. `dead-lettered to "orders.dlq"`. */
  what: string,
  send: () => Promise<unknown>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return;
    } catch (error) {
      o.hub.driverError("dead-letter", error);
      o.recordError(error);
      const delay = backoffDelay(o.retry, attempt, o.random);
      if (attempt >= o.maxAttempts || !(await sleep(delay, o.workSignal))) {
        throw new ConsumerStop(
          `message ${message.id} on "${o.consumer.topic}" could not be ${what}: ${describeError(error)}`,
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
