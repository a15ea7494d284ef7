import { isUtf8 } from "node:buffer";
import { DeadLetterKey, type Message, type Metadata, RetryTopicKey } from "@prism/consumer-core";
import type { BrowsableQueue } from "@prism/consumer-core/driver";

/** Which dead letters a `dlq` command works on; every given criterion must hold. */
export interface DeadLetterFilter {
  readonly ids?: ReadonlySet<string>;
  /** A piece of `prism-error`, compared without case. */
  readonly errorText?: string;
  /** Failed (last attempt) at least this long ago, in ms. */
  readonly olderThanMs?: number;
  /** Failed at most this long ago, in ms. */
  readonly newerThanMs?: number;
}

/** A dead letter as `list` and `show` print it: what the consumer recorded about its failure. */
export interface DeadLetterSummary {
  readonly id: string;
  readonly originalTopic: string | undefined;
  readonly originalId: string | undefined;
  readonly error: string | undefined;
  readonly attempts: number | undefined;
  readonly firstFailureAt: number | undefined;
  readonly lastFailureAt: number;
  readonly consumer: string | undefined;
  readonly payloadBytes: number;
}

export function summarize(message: Message): DeadLetterSummary {
  const m = message.metadata;
  const number = (key: string) => (m[key] === undefined ? undefined : Number(m[key]));
  return {
    id: message.id,
    originalTopic: m[DeadLetterKey.OriginalTopic],
    originalId: m[DeadLetterKey.OriginalId],
    error: m[DeadLetterKey.Error],
    attempts: number(DeadLetterKey.Attempts),
    firstFailureAt: number(DeadLetterKey.FirstFailureAt),
    lastFailureAt: number(DeadLetterKey.LastFailureAt) ?? message.timestamp,
    consumer: m[DeadLetterKey.ConsumerName],
    payloadBytes: message.payload.length,
  };
}

export function matches(message: Message, filter: DeadLetterFilter, now: number): boolean {
  const summary = summarize(message);
  const age = now - summary.lastFailureAt;
  if (filter.ids && !filter.ids.has(message.id)) return false;
  if (filter.errorText && !(summary.error ?? "").toLowerCase().includes(filter.errorText.toLowerCase())) {
    return false;
  }
  if (filter.olderThanMs !== undefined && age < filter.olderThanMs) return false;
  if (filter.newerThanMs !== undefined && age > filter.newerThanMs) return false;
  return true;
}

/** Every dead letter of `queue` that matches, oldest first, read page by page without receiving. */
export async function* deadLetters(
  dlq: BrowsableQueue,
  queue: string,
  filter: DeadLetterFilter,
): AsyncGenerator<Message> {
  const now = Date.now();
  let after: string | undefined;
  for (;;) {
    const page = await dlq.browse(queue, after === undefined ? { limit: 100 } : { after, limit: 100 });
    if (page.length === 0) return;
    for (const message of page) if (matches(message, filter, now)) yield message;
    after = (page.at(-1) as Message).id;
  }
}

/** The metadata a replayed message carries: the original's, without the dead-letter and retry-topic keys. */
export function replayMetadata(message: Message, dlqTopic: string): Metadata {
  const deadLetterKeys = new Set<string>([...Object.values(DeadLetterKey), ...Object.values(RetryTopicKey)]);
  const kept = Object.entries(message.metadata).filter(([key]) => !deadLetterKeys.has(key));
  return { ...Object.fromEntries(kept), "prism-replayed-from": `${dlqTopic}/${message.id}` };
}

/** A payload for a terminal: the text when it is UTF-8, else base64. */
export function showPayload(payload: Uint8Array): { encoding: "utf8" | "base64"; payload: string } {
  const buffer = Buffer.from(payload);
  return isUtf8(buffer)
    ? { encoding: "utf8", payload: buffer.toString("utf8") }
    : { encoding: "base64", payload: buffer.toString("base64") };
}
