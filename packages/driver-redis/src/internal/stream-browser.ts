import type { BrowseOptions, Message } from "@prism/consumer-core/driver";
import type { Redis } from "ioredis";
import { mapRedisError } from "../errors.js";
import { entriesOfClaim, toMessage } from "./stream-entries.js";

/** Entries counted at most when Redis cannot tell a group's lag itself (after an XDEL in the range). */
const countedLagLimit = 10_000;

/**
 * Reads a stream's entries without a consumer group (XRANGE), deletes them by id (XDEL), and reads a
 * group's lag (XINFO GROUPS). What `dlq list`, `replay` and `purge` and the lag metric use.
 */
export class StreamBrowser {
  constructor(
    private readonly client: Redis,
    private readonly keyPrefix: string,
  ) {}

  async browse(queue: string, options: BrowseOptions): Promise<Message[]> {
    const stream = this.keyPrefix + queue;
    const start = options.after === undefined ? "-" : `(${options.after}`;
    try {
      const reply = await this.client.callBuffer("XRANGE", stream, start, "+", "COUNT", options.limit ?? 100);
      return entriesOfClaim(reply).map((entry) => toMessage(entry, queue, 0));
    } catch (error) {
      throw mapRedisError(error, `XRANGE "${stream}"`);
    }
  }

  async remove(queue: string, ids: readonly string[]): Promise<number> {
    const stream = this.keyPrefix + queue;
    const valid = ids.filter((id) => /^\d+-\d+$/.test(id));
    if (valid.length === 0) return 0;
    try {
      return Number(await this.client.call("XDEL", stream, ...valid));
    } catch (error) {
      throw mapRedisError(error, `XDEL "${stream}"`);
    }
  }

  /** Entries the group has not read yet (`lag`) plus those read and not acknowledged (`pending`). */
  async lag(topic: string, group: string): Promise<Record<string, number>> {
    const stream = this.keyPrefix + topic;
    try {
      const groups = (await this.client.call("XINFO", "GROUPS", stream)) as unknown[][];
      const fields = groups.map(toRecord).find((g) => String(g.name) === group);
      if (!fields) return {};
      const pending = Number(fields.pending ?? 0);
      if (fields.lag !== null && fields.lag !== undefined) return { "0": Number(fields.lag) + pending };
      const after = await this.client.call(
        "XRANGE",
        stream,
        `(${String(fields["last-delivered-id"])}`,
        "+",
        "COUNT",
        countedLagLimit,
      );
      return { "0": (after as unknown[]).length + pending };
    } catch (error) {
      if (error instanceof Error && /no such key/i.test(error.message)) return {};
      throw mapRedisError(error, `XINFO GROUPS "${stream}"`);
    }
  }
}

function toRecord(flat: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1];
  return record;
}
