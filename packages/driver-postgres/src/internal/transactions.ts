import type { Position, StateTransaction } from "@prism/consumer-core/driver";
import type { Pool, PoolClient } from "pg";
import { ensureProcessedTable } from "./schema.js";

/** Records left behind (by a member that crashed before forgetting them) are deleted after this long. */
const retentionDays = 7;
/** How often at most those are looked for (it reads every record of the key). */
const sweepEveryMs = 3_600_000;

/**
 * Transactional mode's record of processed positions: one row per (consumer state key, partition,
 * offset), written in the same transaction as the processor's effects. Its primary key is what makes a
 * replayed message — or one a member that lost its partition processes late — a no-op: the second
 * `INSERT … ON CONFLICT DO NOTHING` inserts nothing (waiting first while the other transaction is open).
 */
export class Transactions {
  private created: Promise<void> | undefined;
  /** Per state key, when its old records were last looked for. */
  private readonly sweptAt = new Map<string, number>();

  constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  /** `BEGIN` on a pooled connection of its own (the table is created on first use). */
  async begin(mapError: (error: unknown, operation: string) => Error): Promise<StateTransaction<PoolClient>> {
    this.created ??= ensureProcessedTable(this.pool, this.table).catch((error) => {
      this.created = undefined;
      throw error;
    });
    await this.created;
    const client = await this.pool.connect();
    // A connection lost mid-transaction also fails the statement running on it, which reports it.
    client.on("error", ignore);
    try {
      await client.query("BEGIN");
    } catch (error) {
      client.off("error", ignore);
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    return new PostgresTransaction(client, this.table, mapError);
  }

  async forget(key: string, positions: readonly Position[]): Promise<void> {
    const [partitions, offsets] = columns(positions);
    await this.pool.query(
      `DELETE FROM ${this.table} AS t USING unnest($2::text[], $3::text[]) AS f(partition, position)
       WHERE t.key = $1 AND t.partition = f.partition AND t.position = f.position`,
      [key, partitions, offsets],
    );
    if (Date.now() - (this.sweptAt.get(key) ?? 0) < sweepEveryMs) return;
    this.sweptAt.set(key, Date.now());
    await this.pool.query(
      `DELETE FROM ${this.table} WHERE key = $1 AND recorded_at < now() - interval '${retentionDays} days'`,
      [key],
    );
  }
}

class PostgresTransaction implements StateTransaction<PoolClient> {
  private ended = false;

  constructor(
    readonly client: PoolClient,
    private readonly table: string,
    private readonly mapError: (error: unknown, operation: string) => Error,
  ) {}

  async record(key: string, positions: readonly Position[]): Promise<readonly boolean[]> {
    // In one order across members, so two transactions recording overlapping batches wait, not deadlock.
    const order = positions.map((_, index) => index).sort((a, b) => comparePositions(positions, a, b));
    const [partitions, offsets] = columns(order.map((index) => positions[index] as Position));
    let inserted: Set<string>;
    try {
      const result = await this.client.query<{ partition: string; position: string }>(
        `INSERT INTO ${this.table} (key, partition, position)
         SELECT $1, partition, position FROM unnest($2::text[], $3::text[]) AS f(partition, position)
         ON CONFLICT DO NOTHING RETURNING partition, position`,
        [key, partitions, offsets],
      );
      inserted = new Set(result.rows.map((row) => identity(row.partition, row.position)));
    } catch (error) {
      throw this.mapError(error, "record processed positions");
    }
    return positions.map((position) =>
      inserted.delete(identity(position.partition, String(position.offset))),
    );
  }

  async commit(): Promise<void> {
    await this.end("COMMIT");
  }

  async rollback(): Promise<void> {
    await this.end("ROLLBACK");
  }

  private async end(statement: "COMMIT" | "ROLLBACK"): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      await this.client.query(statement);
      this.client.off("error", ignore);
      this.client.release();
    } catch (error) {
      // A connection that failed to commit or roll back is discarded, not handed to the next user.
      this.client.off("error", ignore);
      this.client.release(error instanceof Error ? error : true);
      throw this.mapError(error, statement === "COMMIT" ? "commit" : "rollback");
    }
  }
}

function ignore(): void {}

function columns(positions: readonly Position[]): [string[], string[]] {
  return [positions.map((p) => p.partition), positions.map((p) => String(p.offset))];
}

function identity(partition: string, offset: string): string {
  return `${partition}\u0000${offset}`;
}

function comparePositions(positions: readonly Position[], a: number, b: number): number {
  const x = positions[a] as Position;
  const y = positions[b] as Position;
  if (x.partition !== y.partition) return x.partition < y.partition ? -1 : 1;
  const left = String(x.offset);
  const right = String(y.offset);
  return left.length - right.length || (left < right ? -1 : left > right ? 1 : 0);
}
