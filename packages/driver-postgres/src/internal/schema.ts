import { createHash } from "node:crypto";
import type { Pool, PoolClient } from "pg";

/** PostgreSQL truncates longer identifiers silently, which would make two names refer to one table. */
const maxIdentifierBytes = 63;

/** Why `name` cannot be an identifier, or `undefined` when it can (any other character is fine, quoted). */
export function identifierProblem(name: string): string | undefined {
  if (name === "") return "expected a non-empty name";
  if (name.includes("\u0000")) return "a name cannot contain the NUL character";
  if (Buffer.byteLength(name) > maxIdentifierBytes) return `expected at most ${maxIdentifierBytes} bytes`;
  return undefined;
}

/** `my "table"` → `"my ""table"""`: safe in SQL whatever the name contains. */
export function quoteIdentifier(name: string): string {
  const problem = identifierProblem(name);
  if (problem) throw new RangeError(`invalid PostgreSQL identifier ${JSON.stringify(name)}: ${problem}`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** The schema-qualified, quoted names of the driver's tables and its NOTIFY channel. */
export interface SchemaNames {
  readonly schema: string;
  /** `"schema"."kv_table"` */
  readonly kvTable: string;
  /** `"schema"."queue_table"` */
  readonly queueTable: string;
  /** `"schema"."processed_table"`: positions processed in transactional mode. */
  readonly processedTable: string;
  /** Channel that enqueue notifies (payload: the queue name), so waiting receivers wake at once. */
  readonly channel: string;
}

export function schemaNames(
  schema: string,
  kvTable: string,
  queueTable: string,
  processedTable: string,
): SchemaNames {
  const qualified = (table: string) => `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
  return {
    schema,
    kvTable: qualified(kvTable),
    queueTable: qualified(queueTable),
    processedTable: qualified(processedTable),
    channel: notifyChannel(schema, queueTable),
  };
}

/** `schema.queue_table` when it fits a channel name, else a stable hash of it (pg_notify rejects longer ones). */
function notifyChannel(schema: string, queueTable: string): string {
  const readable = `${schema}.${queueTable}`;
  if (Buffer.byteLength(readable) <= maxIdentifierBytes) return readable;
  return `prism_${createHash("sha256").update(readable).digest("hex").slice(0, 32)}`;
}

/**
 * Creates what is missing: the schema, the key/value table and the queue table with its index. Existing
 * objects are not touched, so a role with only SELECT/INSERT/UPDATE/DELETE works on tables made in
 * advance. An advisory lock keeps drivers starting at once from racing on the same CREATE.
 */
export function ensureSchema(pool: Pool, names: SchemaNames): Promise<void> {
  return underLock(pool, `prism:${names.queueTable}`, async (client) => {
    const found = await client.query<{ schema: boolean; kv: string | null; queue: string | null }>(
      `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema,
              to_regclass($2) AS kv, to_regclass($3) AS queue`,
      [names.schema, names.kvTable, names.queueTable],
    );
    const existing = found.rows[0];
    if (!existing?.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(names.schema)}`);
    if (!existing?.kv) {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${names.kvTable} (
           key text PRIMARY KEY,
           value bytea NOT NULL,
           expires_at timestamptz NULL
         )`,
      );
    }
    if (!existing?.queue) {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${names.queueTable} (
           id bigserial PRIMARY KEY,
           queue text NOT NULL,
           payload bytea NOT NULL,
           metadata jsonb NOT NULL,
           created_at timestamptz NOT NULL DEFAULT now(),
           visible_at timestamptz NOT NULL DEFAULT now(),
           attempts integer NOT NULL DEFAULT 0
         )`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS ${indexName(names)} ON ${names.queueTable} (queue, visible_at, id)`,
      );
    }
  });
}

/**
 * Creates transactional mode's table of processed positions when missing (under the same kind of lock:
 * concurrent `CREATE TABLE IF NOT EXISTS` can fail on PostgreSQL's catalog).
 */
export function ensureProcessedTable(pool: Pool, table: string): Promise<void> {
  return underLock(pool, `prism:${table}`, async (client) => {
    const found = await client.query<{ table: string | null }>("SELECT to_regclass($1) AS table", [table]);
    if (found.rows[0]?.table) return;
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${table} (
         key text NOT NULL,
         partition text NOT NULL,
         position text NOT NULL,
         recorded_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (key, partition, position)
       )`,
    );
  });
}

/** Runs `work` in a transaction holding an advisory lock on `name`, so starting drivers do not race. */
async function underLock(
  pool: Pool,
  name: string,
  work: (client: PoolClient) => Promise<void>,
): Promise<void> {
  const client = await pool.connect();
  let failure: unknown;
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [name]);
    await work(client);
    await client.query("COMMIT");
  } catch (error) {
    failure = error;
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    // A connection that failed mid-transaction is destroyed rather than returned to the pool.
    client.release(failure instanceof Error ? failure : undefined);
  }
}

/** An index name unique per queue table (index names share the schema's namespace with tables). */
function indexName(names: SchemaNames): string {
  const hash = createHash("sha256").update(names.queueTable).digest("hex").slice(0, 12);
  return quoteIdentifier(`prism_queue_ready_${hash}`);
}
