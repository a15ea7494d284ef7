import { describeError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { Message, Position } from "../../message.js";
import type { Middleware } from "../../middleware.js";
import type { TransactionalState } from "../../transactional-state.js";
import type { EventHub } from "../event-hub.js";
import { ConsumerStop } from "../outcomes.js";
import { withTransaction } from "../pipeline-delivery.js";
import type { GiveUp } from "./dead-letter.js";

export interface TransactionOptions {
  readonly store: TransactionalState;
  /** The consumer's state key: positions are recorded under it. */
  readonly key: string;
  readonly hub: EventHub;
}

/**
 * `behavior.transactional`: each attempt runs in one transaction of the state store. It records the
 * messages' positions first; those a committed transaction recorded already are done and not processed
 * again — a replay after a crash, or a member that lost the partition and processes it late. They count
 * as `deduplicated`, and (this being inside the retry stage, whose attempt succeeds) as `processed` too.
 * The processor gets the rest with `delivery.transaction` and writes its effects through it; the effects
 * and the record commit together, or roll back together when the attempt fails (the retry stage then
 * tries again in a new transaction).
 */
export function transaction(o: TransactionOptions): Middleware {
  return (next) => async (delivery) => {
    const messages = delivery.messages;
    const positions = messages.map((message) => message.position as Position);
    const tx = await o.store.beginTransaction();
    try {
      const recordedNow = await tx.record(o.key, positions);
      const fresh: Message[] = [];
      for (const [index, message] of messages.entries()) {
        if (recordedNow[index]) fresh.push(message);
        else o.hub.deduplicated(message);
      }
      if (fresh.length > 0) await next(withTransaction(delivery, fresh, tx.client));
      await tx.commit();
    } catch (error) {
      await tx.rollback().catch(() => {});
      throw error;
    }
  };
}

/**
 * Outermost in transactional mode: a message without a position (NATS core pub/sub) cannot be recorded,
 * so it stops the consumer — a configuration that cannot work — rather than being dead-lettered.
 */
export function requirePositions(): Middleware {
  return (next) => (delivery) => {
    for (const message of delivery.messages) {
      if (message.position) continue;
      throw new ConsumerStop(
        `behavior.transactional: message "${message.id}" of "${message.topic}" has no position; transactional processing needs a source with positions (Kafka, JetStream, Redis Streams, memstore, a PostgreSQL queue)`,
      );
    }
    return next(delivery);
  };
}

/**
 * Transactional mode: messages given up (dead-lettered, sent to the retry topic, dropped) are recorded
 * too, once that is done, so a replay skips them instead of processing and dead-lettering them again. Only
 * a crash between the two repeats the dead-lettering (never the effects: every failed attempt rolled back).
 */
export function recordGivenUp(
  giveUpWith: GiveUp,
  o: TransactionOptions & { readonly logger: Logger },
): GiveUp {
  return async (messages, error) => {
    await giveUpWith(messages, error);
    const positions = messages.flatMap((message) => (message.position ? [message.position] : []));
    if (positions.length === 0) return;
    try {
      const tx = await o.store.beginTransaction();
      try {
        await tx.record(o.key, positions);
        await tx.commit();
      } catch (failure) {
        await tx.rollback().catch(() => {});
        throw failure;
      }
    } catch (failure) {
      o.logger.warn("recording given-up messages failed; a replay may dead-letter them again", {
        key: o.key,
        error: describeError(failure),
      });
    }
  };
}
