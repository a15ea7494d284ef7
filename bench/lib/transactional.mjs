// Transactional mode against the plain consumer, both with PostgreSQL state and a processor that writes
// one row per message to a side table: plain through the pool (at-least-once), transactional through the
// attempt's transaction (`transactional: true`: the row commits with the record of the message's
// position). Memstore source, so the rows measure the consumer and PostgreSQL, per message and in batches.
import { randomUUID } from "node:crypto";
import { Consumer, silentLogger } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { PostgresDriver, transactionOf } from "@prism/driver-postgres";
import { Meter } from "./meter.mjs";
import { serviceUrl } from "./services.mjs";

/** The rows of the section: each mode, one message at a time and in batches of `batchSize`. */
export function transactionalVariants(batchSize) {
  return ["plain", "transactional"].flatMap((mode) =>
    [0, batchSize].map((batch) => ({ mode, batchSize: batch })),
  );
}

/** Rounds of `count` 16 B messages through one mode; the rate of each round. */
export async function transactionalRow({ mode, batchSize, count, rounds }) {
  const schema = `prism_bench_tx_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const store = await PostgresDriver.connect({
    connectionString: serviceUrl("postgres"),
    schema,
    logger: silentLogger,
  });
  const table = `"${schema}".effects`;
  await store.pool.query(`CREATE TABLE ${table} (id text NOT NULL)`);
  const insert = `INSERT INTO ${table} (id) SELECT unnest($1::text[])`;
  const transactional = mode === "transactional";
  const write = (context, ids) => (transactional ? transactionOf(context) : store.pool).query(insert, [ids]);
  try {
    const runs = [];
    for (let round = 0; round < rounds; round++) {
      const source = new MemStore({ capacity: Math.max(count, 10_000) });
      const topic = `bench-tx-${round}`;
      for (let i = 0; i < count; i++) await source.publish(topic, new Uint8Array(16));
      const meter = new Meter(count);
      const consumer = new Consumer({
        name: `bench-${round}`,
        behavior: { consumerGroup: "bench", topic, batchSize, transactional },
        logger: silentLogger,
      }).bindSlots(source, store);
      if (batchSize > 0) {
        consumer.setBatchProcessor(async (messages, context) => {
          await write(
            context,
            messages.map((m) => m.id),
          );
          for (const _ of messages) meter.tick();
        });
      } else {
        consumer.setProcessor(async (message, context) => {
          await write(context, [message.id]);
          meter.tick();
        });
      }
      await consumer.start();
      await meter.wait(300_000, `transactional bench, ${mode}`);
      await consumer.stop();
      runs.push({ rate: meter.rate() });
    }
    return { runs };
  } finally {
    await store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store.close();
  }
}
