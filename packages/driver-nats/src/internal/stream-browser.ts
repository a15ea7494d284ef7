import type { JetStreamManager, MsgRequest, StoredMsg } from "@nats-io/jetstream";
import type { BrowseOptions, Message } from "@prism/consumer-core/driver";
import { jetStreamErrorCode } from "../errors.js";
import { readMetadata } from "./headers.js";
import { durableNameFor } from "./names.js";
import type { StreamResolver } from "./stream-resolver.js";

/** JetStream's err_code for "consumer not found" and "no message found". */
const consumerNotFound = 10014;
const noMessageFound = 10037;

/**
 * Reads a subject's stored messages without a consumer (the message GET API, `next_by_subj`), deletes
 * them by sequence, and reads a group's durable for its lag. What `dlq list`, `replay` and `purge` and
 * the lag metric use; nothing here delivers or acknowledges.
 */
export class StreamBrowser {
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly streams: StreamResolver,
  ) {}

  async browse(subject: string, options: BrowseOptions): Promise<Message[]> {
    const stream = await this.streams.streamFor(subject);
    const limit = options.limit ?? 100;
    let next = options.after === undefined ? 1 : Number(options.after) + 1;
    const found: Message[] = [];
    while (found.length < limit) {
      // `next_by_subj` (nats-server 2.9+): the first message of the subject at or after `seq`.
      const query = { seq: next, next_by_subj: subject } as unknown as MsgRequest;
      const stored = await this.jsm.streams.getMessage(stream, query).catch((error: unknown) => {
        if (jetStreamErrorCode(error) === noMessageFound) return null;
        throw error;
      });
      if (!stored) break;
      found.push(toMessage(stored));
      next = stored.seq + 1;
    }
    return found;
  }

  async remove(subject: string, ids: readonly string[]): Promise<number> {
    const stream = await this.streams.streamFor(subject);
    let removed = 0;
    for (const id of ids) {
      const seq = Number(id);
      if (!Number.isSafeInteger(seq) || seq <= 0) continue;
      const stored = await this.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (stored?.subject !== subject) continue;
      if (await this.jsm.streams.deleteMessage(stream, seq, false).catch(() => false)) removed++;
    }
    return removed;
  }

  /** Messages the group's durable has not delivered yet plus those delivered and not acknowledged. */
  async lag(topic: string, group: string): Promise<Record<string, number>> {
    const stream = await this.streams.streamFor(topic);
    try {
      const info = await this.jsm.consumers.info(stream, durableNameFor(group, topic));
      return { "0": info.num_pending + info.num_ack_pending };
    } catch (error) {
      if (jetStreamErrorCode(error) === consumerNotFound) return {};
      throw error;
    }
  }
}

function toMessage(stored: StoredMsg): Message {
  const { metadata } = readMetadata(() => stored.header);
  return {
    id: String(stored.seq),
    topic: stored.subject,
    payload: stored.data,
    metadata,
    timestamp: stored.time.getTime(),
    position: { partition: "0", offset: stored.seq },
    deliveryAttempt: 0,
  };
}
