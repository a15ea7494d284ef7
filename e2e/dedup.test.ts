import { Consumer, type KeyValueBasicInterface, silentLogger } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { NatsDriver } from "@prism/driver-nats";
import { PostgresDriver } from "@prism/driver-postgres";
import { RedisDriver } from "@prism/driver-redis";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../scripts/test-support/backends.mjs";

// Deduplication keeps its keys in the state store: it must work with every one, across a restart. NATS KV
// before 2.11 refuses TTLs, so there the keys carry their expiry and are ignored once old.
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const found = {
  redis: await backend("redis"),
  postgres: await backend("postgres"),
  nats: await backend("nats"),
};
const schema = `prism_dedup_${run}`;
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

const stores: Array<{
  name: string;
  available: boolean;
  open: () => Promise<KeyValueBasicInterface & { close(): Promise<void> }>;
}> = [
  {
    name: "redis",
    available: found.redis.available,
    open: () =>
      RedisDriver.connect({ url: found.redis.url, keyPrefix: `prism-dedup-${run}:`, logger: silentLogger }),
  },
  {
    name: "postgres",
    available: found.postgres.available,
    open: () =>
      PostgresDriver.connect({ connectionString: found.postgres.url, schema, logger: silentLogger }),
  },
  {
    name: "nats kv",
    available: found.nats.available,
    open: () =>
      NatsDriver.connect({ url: found.nats.url, kvBucket: `prism-dedup-${run}`, logger: silentLogger }),
  },
];

afterAll(async () => {
  if (found.postgres.available) {
    const client = new pg.Client({ connectionString: found.postgres.url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
  if (found.redis.available) {
    const client = new Redis(found.redis.url);
    const keys = await client.keys(`prism-dedup-${run}:*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  }
  if (found.nats.available) {
    const { connect } = await import("@nats-io/transport-node");
    const { jetstreamManager } = await import("@nats-io/jetstream");
    const connection = await connect({ servers: found.nats.url });
    await (await jetstreamManager(connection)).streams.delete(`KV_prism-dedup-${run}`).catch(() => {});
    await connection.close();
  }
});

describe("deduplication with every state store", () => {
  for (const store of stores) {
    it.runIf(store.available)(
      `${store.name}: a message processed before a restart is not processed again`,
      async () => {
        const source = new MemStore();
        const processed: string[] = [];
        const consumer = (state: KeyValueBasicInterface) =>
          new Consumer({
            name: `dedup-${store.name.replace(" ", "-")}`,
            behavior: {
              consumerGroup: `g-${run}`,
              topic: "orders",
              deduplicate: { window: "10m", key: "order-id" },
            },
            logger: silentLogger,
          })
            .bindSlots(source, state)
            .setProcessor((message) => void processed.push(text(message.payload)));
        const firstState = await store.open();
        const first = consumer(firstState);
        await first.start();
        await source.publish("orders", bytes("order 1"), { "order-id": "1" });
        await first.once("processed");
        await first.stop();
        await firstState.close();

        const secondState = await store.open();
        const second = consumer(secondState);
        await second.start();
        await source.publish("orders", bytes("order 1, sent again"), { "order-id": "1" });
        await source.publish("orders", bytes("order 2"), { "order-id": "2" });
        await second.once("processed");
        await second.stop();
        await secondState.close();
        expect(processed).toEqual(["order 1", "order 2"]);
        expect(second.health().counters.deduplicated).toBe(1);
      },
    );
  }
});
