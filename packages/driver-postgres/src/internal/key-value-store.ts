import type { Pool } from "pg";

/**
 * The key/value table: one row per key, `expires_at` NULL for keys without a TTL. Reads ignore expired
 * rows, so a TTL holds to the database clock whenever the purge last ran; `purgeExpired` only frees space.
 */
export class KeyValueStore {
  constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  async set(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} (key, value, expires_at)
       VALUES ($1, $2, CASE WHEN $3::double precision > 0 THEN now() + $3 * interval '1 second' END)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
      [key, value, ttlSeconds ?? 0],
    );
  }

  /**
   * Stores `value` (without TTL) only while the key holds `expected` — or, for `undefined`, while it is
   * absent or expired. One statement, so concurrent writers cannot both succeed.
   */
  async compareAndSet(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    const result =
      expected === undefined
        ? await this.pool.query(
            `INSERT INTO ${this.table} AS t (key, value, expires_at) VALUES ($1, $2, NULL)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = NULL
              WHERE t.expires_at IS NOT NULL AND t.expires_at <= now()`,
            [key, value],
          )
        : await this.pool.query(
            `UPDATE ${this.table} SET value = $2, expires_at = NULL
              WHERE key = $1 AND value = $3 AND (expires_at IS NULL OR expires_at > now())`,
            [key, value, expected],
          );
    return result.rowCount === 1;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const result = await this.pool.query<{ value: Buffer }>(
      `SELECT value FROM ${this.table} WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())`,
      [key],
    );
    const row = result.rows[0];
    // A plain Uint8Array, as the interface promises, rather than node-postgres's Buffer.
    return row === undefined ? undefined : new Uint8Array(row.value);
  }

  async delete(key: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.table} WHERE key = $1`, [key]);
  }

  async exists(key: string): Promise<boolean> {
    const result = await this.pool.query(
      `SELECT 1 FROM ${this.table} WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())`,
      [key],
    );
    return result.rowCount !== null && result.rowCount > 0;
  }

  /** Deletes the rows whose TTL has passed; resolves with how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.pool.query(`DELETE FROM ${this.table} WHERE expires_at <= now()`);
    return result.rowCount ?? 0;
  }
}
