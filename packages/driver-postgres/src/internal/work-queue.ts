import { coalescer, type Message, type Metadata } from "@prism/consumer-core/driver";
import type { Pool } from "pg";

/** Messages claimed per query: fewer round trips, while a slow receiver holds few invisible messages. */
const claimBatch = 32;

export interface QueueRow {
  id: string;
  queue: string;
  payload: Buffer;
  metadata: unknown;
  created_at: Date;
  attempts: number;
}

/**
 * The SQL of the queue table. A message is ready when `visible_at <= now()`. Receiving claims ready rows
 * with `FOR UPDATE SKIP LOCKED` (competing receivers never block on or share a row) and hides them for
 * the visibility timeout, counting the delivery in `attempts`; acknowledging deletes the row.
 */
export class WorkQueue {
  private readonly deleteCoalesced: (id: string) => Promise<void>;

  constructor(
    private readonly pool: Pool,
    private readonly table: string,
    private readonly channel: string,
    private readonly visibilityTimeoutMs: number,
  ) {
    this.deleteCoalesced = coalescer((ids) =>
      pool.query(`DELETE FROM ${table} WHERE id = ANY($1::bigint[])`, [ids]),
    );
  }

  /** Inserts a message and notifies the receivers of `queue` (delivered when the insert commits). */
  async enqueue(queue: string, payload: Uint8Array, metadata: Metadata): Promise<string> {
    const result = await this.pool.query<{ id: string }>(
      `WITH inserted AS (
         INSERT INTO ${this.table} (queue, payload, metadata) VALUES ($1, $2, $3::jsonb) RETURNING id
       )
       SELECT id, pg_notify($4, $1) FROM inserted`,
      [queue, payload, JSON.stringify(metadata), this.channel],
    );
    return String(result.rows[0]?.id);
  }

  /** Claims up to a batch of ready messages of `queue`, oldest first, each now hidden for the timeout. */
  async claim(queue: string): Promise<Message[]> {
    const result = await this.pool.query<QueueRow>(
      `UPDATE ${this.table}
          SET visible_at = now() + $3::double precision * interval '1 millisecond',
              attempts = attempts + 1
        WHERE id IN (
          SELECT id FROM ${this.table}
           WHERE queue = $1 AND visible_at <= now()
           ORDER BY id
           FOR UPDATE SKIP LOCKED
           LIMIT $2)
      RETURNING id, queue, payload, metadata, created_at, attempts`,
      [queue, claimBatch, this.visibilityTimeoutMs],
    );
    return result.rows.sort((a, b) => Number(a.id) - Number(b.id)).map(toMessage);
  }

  /** Hands claimed messages that no receiver got back at once, without counting the delivery. */
  async unclaim(messages: readonly Message[]): Promise<void> {
    if (messages.length === 0) return;
    await this.pool.query(
      `UPDATE ${this.table} AS t
          SET visible_at = now(), attempts = t.attempts - 1
         FROM unnest($1::bigint[], $2::integer[]) AS claimed(id, attempts)
        WHERE t.id = claimed.id AND t.attempts = claimed.attempts`,
      [messages.map((m) => m.id), messages.map((m) => m.deliveryAttempt)],
    );
  }

  /**
   * Keeps claimed messages invisible for another visibility timeout (their receiver is alive and still
   * holds them), unless they were meanwhile delivered again.
   */
  async extend(messages: readonly Message[]): Promise<void> {
    if (messages.length === 0) return;
    await this.pool.query(
      `UPDATE ${this.table} AS t
          SET visible_at = now() + $3::double precision * interval '1 millisecond'
         FROM unnest($1::bigint[], $2::integer[]) AS claimed(id, attempts)
        WHERE t.id = claimed.id AND t.attempts = claimed.attempts`,
      [messages.map((m) => m.id), messages.map((m) => m.deliveryAttempt), this.visibilityTimeoutMs],
    );
  }

  /** Deletes the rows of many messages in one statement. */
  async acknowledgeBatch(messages: readonly Message[]): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.table} WHERE id = ANY($1::bigint[])`, [
      messages.map((m) => m.id),
    ]);
  }

  /** Deletes the row; acknowledgements made while another DELETE is in flight share the next one. */
  acknowledge(message: Message): Promise<void> {
    return this.deleteCoalesced(message.id);
  }

  /**
   * `requeue`: ready again now, unless it was meanwhile delivered again (its visibility timeout passed),
   * in which case the newer delivery decides. Otherwise the row is deleted.
   */
  async reject(message: Message, requeue: boolean): Promise<void> {
    if (!requeue) return this.acknowledge(message);
    await this.pool.query(`UPDATE ${this.table} SET visible_at = now() WHERE id = $1 AND attempts = $2`, [
      message.id,
      message.deliveryAttempt,
    ]);
  }
}

export function toMessage(row: QueueRow): Message {
  const id = String(row.id);
  const message: Message = {
    id,
    topic: row.queue,
    payload: new Uint8Array(row.payload),
    metadata: toMetadata(row.metadata),
    timestamp: row.created_at.getTime(),
    position: { partition: "0", offset: Number(id) },
    deliveryAttempt: row.attempts,
  };
  // A row written by hand with a metadata array or scalar: dead-lettered with the reason, not emptied.
  if (isObject(row.metadata)) return message;
  const kind = Array.isArray(row.metadata) ? "an array" : `${JSON.stringify(row.metadata)}`;
  return { ...message, conversionError: `postgres row ${id}: its metadata is ${kind}, not a JSON object` };
}

const isObject = (value: unknown): value is object =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Metadata as stored, with any non-string value (rows written by hand with SQL) as JSON text. */
function toMetadata(stored: unknown): Metadata {
  if (!isObject(stored)) return {};
  return Object.fromEntries(
    Object.entries(stored).map(([key, value]) => [
      key,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}
