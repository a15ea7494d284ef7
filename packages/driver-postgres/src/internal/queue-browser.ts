import type { BrowseOptions, Message } from "@prism/consumer-core/driver";
import type { Pool } from "pg";
import { type QueueRow, toMessage } from "./work-queue.js";

/**
 * Reads a queue's rows without claiming them, deletes them by id, and counts them: what `dlq list`,
 * `replay` and `purge` and the lag metric use. Rows being processed (claimed, invisible) are included.
 */
export class QueueBrowser {
  constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  async browse(queue: string, options: BrowseOptions): Promise<Message[]> {
    const after = options.after !== undefined && /^\d+$/.test(options.after) ? options.after : "0";
    const result = await this.pool.query<QueueRow>(
      `SELECT id, queue, payload, metadata, created_at, attempts FROM ${this.table}
        WHERE queue = $1 AND id > $2::bigint ORDER BY id LIMIT $3`,
      [queue, after, options.limit ?? 100],
    );
    return result.rows.map(toMessage);
  }

  async remove(queue: string, ids: readonly string[]): Promise<number> {
    const valid = ids.filter((id) => /^\d+$/.test(id));
    if (valid.length === 0) return 0;
    const result = await this.pool.query(
      `DELETE FROM ${this.table} WHERE queue = $1 AND id = ANY($2::bigint[])`,
      [queue, valid],
    );
    return result.rowCount ?? 0;
  }

  /** The queue's depth: rows waiting or being processed (one group per queue, so `group` is not used). */
  async depth(queue: string): Promise<Record<string, number>> {
    const result = await this.pool.query<{ depth: string }>(
      `SELECT count(*) AS depth FROM ${this.table} WHERE queue = $1`,
      [queue],
    );
    return { "0": Number(result.rows[0]?.depth ?? 0) };
  }
}
