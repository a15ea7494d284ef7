// Consumer throughput on the memstore source with each state store, committing every 5 s (the default)
// or after every message (`commitInterval: 0`, coalesced: one write in flight, the next one queued).
import { randomUUID } from "node:crypto";
import { silentLogger } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { PostgresDriver } from "@prism/driver-postgres";
import { RedisDriver } from "@prism/driver-redis";
import * as memstore from "../sources/memstore.mjs";
import { Meter } from "./meter.mjs";
import { serviceUrl } from "./services.mjs";

export const stateStores = {
  memstore: {
    title: "memstore",
    service: undefined,
    open: async () => ({ store: new MemStore(), close: async () => {} }),
  },
  redis: {
    title: "Redis",
    service: "redis",
    async open() {
      const keyPrefix = `prism-bench:${randomUUID()}:`;
      const store = await RedisDriver.connect({ url: serviceUrl("redis"), keyPrefix, logger: silentLogger });
      return { store, close: () => store.close() };
    },
  },
  postgres: {
    title: "PostgreSQL",
    service: "postgres",
    async open() {
      const schema = `prism_bench_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
      const store = await PostgresDriver.connect({
        connectionString: serviceUrl("postgres"),
        schema,
        logger: silentLogger,
      });
      return {
        store,
        async close() {
          await store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await store.close();
        },
      };
    },
  },
};

/** Rounds of `count` 16 B messages; the rate and the state writes (commits) of each round. */
export async function stateStoreRow(name, { commitInterval, count, rounds }) {
  const state = await stateStores[name].open();
  const ctx = await memstore.open();
  try {
    const topic = await memstore.prepare(ctx, { count, payload: new Uint8Array(16) });
    const runs = [];
    for (let round = 0; round < rounds; round++) {
      const meter = new Meter(count);
      const run = await memstore.consumer(ctx, topic, () => meter.tick(), {
        behavior: { commitInterval },
        stateStore: state.store,
      });
      await meter.wait(300_000, `memstore source, ${name} state`);
      const commitsWhileRunning = run.consumer.health().counters.commits;
      await run.stop();
      runs.push({
        rate: meter.rate(),
        commits: commitsWhileRunning,
        seconds: (meter.last - meter.first) / 1000,
      });
    }
    return { runs };
  } finally {
    await state.close();
  }
}
