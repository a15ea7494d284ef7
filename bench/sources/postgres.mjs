// PostgreSQL queue table (the driver's schema). Raw: per transaction, claim a batch with
// FOR UPDATE SKIP LOCKED, process it, delete it, commit (at-least-once, like the driver); LISTEN wakes it
// when the table is empty. Consumer: the PostgreSQL driver as a queue source.
import { randomUUID } from "node:crypto";
import { silentLogger } from "@prism/consumer-core";
import { PostgresDriver } from "@prism/driver-postgres";
import pg from "pg";
import { consumeFrom } from "../lib/prism.mjs";
import { serviceUrl } from "../lib/services.mjs";

export const title = "PostgreSQL queue";
export const note =
  "raw claims 32 rows per transaction (SELECT … FOR UPDATE SKIP LOCKED, DELETE … = ANY, COMMIT), the driver's fixed claim size; the consumer acknowledges each message and takes the next while the DELETE travels (pipelined); the driver coalesces the DELETEs in flight into one statement. 20,000 messages per run, each run on a freshly filled queue.";
export const service = "postgres";
/** A queue: the consumer acknowledges every message, so the suite adds a row with concurrency > 1. */
export const queue = true;
/** Messages per run, by payload size. */
export const messages = { full: { 16: 20_000, 1024: 20_000 }, quick: { 16: 2_000, 1024: 2_000 } };
/** Rows per claim: the driver's fixed claim batch, used by the raw loop too. */
export const claimBatch = 32;

export async function open() {
  const schema = `prism_bench_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  // The driver creates the schema and tables; this one instance also publishes for the latency runs.
  const driver = await PostgresDriver.connect({
    connectionString: serviceUrl("postgres"),
    schema,
    logger: silentLogger,
  });
  return { driver, schema, table: driver.names.queueTable, channel: driver.names.channel, topics: 0 };
}

export async function close(ctx) {
  await ctx.driver.pool.query(`DROP SCHEMA IF EXISTS "${ctx.schema}" CASCADE`);
  await ctx.driver.close();
}

/** A new queue with `count` rows, inserted in one statement. */
export async function prepare(ctx, { count, payload }) {
  const queue = `bench-${++ctx.topics}`;
  await ctx.driver.pool.query(
    `INSERT INTO ${ctx.table} (queue, payload, metadata)
     SELECT $1, $2::bytea, '{}'::jsonb FROM generate_series(1, $3::int)`,
    [queue, Buffer.from(payload), count],
  );
  return queue;
}

export async function drop(ctx, queue) {
  await ctx.driver.pool.query(`DELETE FROM ${ctx.table} WHERE queue = $1`, [queue]);
}

export function publisher(ctx, queue) {
  // One multi-row INSERT and one NOTIFY per call, as the driver's enqueue does per message.
  return (payloads) =>
    ctx.driver.pool.query(
      `WITH inserted AS (
         INSERT INTO ${ctx.table} (queue, payload, metadata)
         SELECT $1, payload, '{}'::jsonb FROM unnest($2::bytea[]) AS payload RETURNING id
       )
       SELECT pg_notify($3, $1), (SELECT count(*) FROM inserted)`,
      [queue, payloads.map((payload) => Buffer.from(payload)), ctx.channel],
    );
}

/**
 * Every run consumes (deletes) its queue, so each run gets a fresh copy: `prepare` again before each.
 */
export const consumesBacklog = true;

export async function raw(ctx, queue, sink) {
  const client = new pg.Client({ connectionString: serviceUrl("postgres") });
  const listener = new pg.Client({ connectionString: serviceUrl("postgres") });
  await Promise.all([client.connect(), listener.connect()]);
  let wake = () => {};
  listener.on("notification", () => wake());
  await listener.query(`LISTEN "${ctx.channel}"`);
  let running = true;
  const loop = (async () => {
    while (running) {
      await client.query("BEGIN");
      const { rows } = await client.query(
        `SELECT id, payload FROM ${ctx.table}
          WHERE queue = $1 AND visible_at <= now()
          ORDER BY id FOR UPDATE SKIP LOCKED LIMIT $2`,
        [queue, claimBatch],
      );
      for (const row of rows) sink(row.payload);
      if (rows.length > 0) {
        await client.query(`DELETE FROM ${ctx.table} WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      }
      await client.query("COMMIT");
      if (rows.length === 0 && running) {
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
    }
  })();
  return {
    async stop() {
      running = false;
      wake();
      await loop;
      await Promise.all([client.end(), listener.end()]);
    },
  };
}

export async function consumer(ctx, queue, sink, { behavior, beforeStart }) {
  const driver = await PostgresDriver.connect({
    connectionString: serviceUrl("postgres"),
    schema: ctx.schema,
    logger: silentLogger,
  });
  return consumeFrom(driver, { topic: queue, group: "prism", sink, behavior, beforeStart });
}
