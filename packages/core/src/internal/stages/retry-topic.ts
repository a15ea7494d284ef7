import { deadLetterMetadata, type FailureRecord } from "../../dead-letter.js";
import type { Message, Metadata } from "../../message.js";
import type { ConsumerIdentity } from "../../middleware.js";
import { RetryTopicKey } from "../../retry-topic.js";
import type { BoundSource } from "../../slots.js";

export interface RetryTopic {
  readonly topic: string;
  readonly delayMs: number;
  readonly maxRounds: number;
}

/**
 * The metadata of `message` on its next round through the retry topic — its failure, the round and when
 * it is due — or `undefined` once it has had `maxRounds` rounds (then it is dead-lettered).
 */
export function nextRound(
  retry: RetryTopic,
  message: Message,
  failure: FailureRecord,
  consumer: ConsumerIdentity,
  now: number,
): { readonly metadata: Metadata; readonly round: number } | undefined {
  const round = Number(message.metadata[RetryTopicKey.Round] ?? 0) || 0;
  if (round >= retry.maxRounds) return undefined;
  const metadata = {
    ...deadLetterMetadata(message, failure, consumer),
    [RetryTopicKey.Round]: String(round + 1),
    [RetryTopicKey.Due]: String(now + retry.delayMs),
  };
  return { metadata, round: round + 1 };
}

/** Publishes (pub/sub) or enqueues (queue) on the message source's backend. */
export function sendThrough(
  source: BoundSource,
): (topic: string, payload: Uint8Array, metadata: Metadata) => Promise<string> {
  return source.kind === "pubsub"
    ? (topic, payload, metadata) => source.driver.publish(topic, payload, metadata)
    : (topic, payload, metadata) => source.driver.enqueue(topic, payload, metadata);
}
