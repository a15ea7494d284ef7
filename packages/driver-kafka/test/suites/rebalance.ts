import {
  type BehaviorConfig,
  Consumer,
  type ConsumerState,
  decodeState,
  encodeState,
  type Message,
  silentLogger,
} from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { backend } from "../../../../scripts/test-support/backends.mjs";
import type { KafkaTestDriver, KafkaUnderTest } from "./kafka-under-test.js";

// One test per hand-over defect that outsiders found with replicas: each fails on the code before the fix.
const kafka = await backend("kafka");
const brokers = kafka.url.split(",");
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const bytes = (value: string) => new TextEncoder().encode(value);
let topics = 0;
const names = () => {
  topics++;
  return { topic: `prism-rebalance-${run}-${topics}`, group: `prism-rebalance-${run}-${topics}` };
};

const drivers: KafkaTestDriver[] = [];
const consumers: Consumer[] = [];

function consumer(group: string, topic: string, overrides: Partial<BehaviorConfig> = {}) {
  const created = new Consumer({
    name: "rebalance",
    behavior: { consumerGroup: group, topic, commitInterval: "1h", shutdownTimeout: "10s", ...overrides },
    logger: silentLogger,
  });
  consumers.push(created);
  return created;
}

async function publish(driver: KafkaTestDriver, topic: string, count: number, from = 0): Promise<void> {
  for (let i = from; i < from + count; i += 200) {
    const chunk = Array.from({ length: Math.min(200, from + count - i) }, (_, j) => i + j);
    await Promise.all(
      chunk.map((n) => driver.publish(topic, bytes(String(n)), { "kafka-key": `k${n % 16}` })),
    );
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function stored(store: MemStore, key: string): Promise<ConsumerState | undefined> {
  const value = await store.get(key);
  return value === undefined ? undefined : decodeState(value, key);
}

/** Partition hand-overs between replicas of one consumer over the Kafka driver `under`. */
export function describeKafkaRebalances(under: KafkaUnderTest): void {
  async function connect(options: { partitions?: number } = {}) {
    const driver = await under.connect({ brokers, partitions: 4, ...options });
    drivers.push(driver);
    return driver;
  }

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop().catch(() => {})));
    await Promise.all(drivers.splice(0).map((d) => d.close()));
  });

  afterAll(async () => {
    if (!kafka.available) return;
    const { Kafka, logLevel } = await import("kafkajs");
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const existing = await admin.listTopics();
    await admin.deleteTopics({ topics: existing.filter((t) => t.startsWith(`prism-rebalance-${run}`)) });
    await admin.disconnect();
  });

  describe.runIf(kafka.available)(`Kafka (${under.label}) rebalances with replicas of one consumer`, () => {
    it("a joining member starts without waiting for a busy member to hand over everything it fetched", async () => {
      const { topic, group } = names();
      const store = new MemStore();
      const producer = await connect();
      await publish(producer, topic, 3000);
      let processedByA = 0;
      const a = consumer(group, topic)
        .bindSlots(await connect(), store)
        .setProcessor(async () => {
          processedByA++;
          await new Promise((resolve) => setTimeout(resolve, 5));
        });
      await a.start();
      await waitFor(() => processedByA >= 20, "the first member to be busy");
      const joinedAfter = processedByA;
      const b = consumer(group, topic)
        .bindSlots(await connect(), store)
        .setProcessor(() => {});
      await b.start();
      // Before the fix the join waited until A had handed over every fetched message (thousands, at 5 ms
      // each); now A gives its partitions up at its next heartbeat.
      expect(processedByA - joinedAfter).toBeLessThan(1000);
      expect(b.health().membership.partitions?.length).toBeGreaterThan(0);
    }, 120_000);

    it("a member finishes and commits its partitions before they move, even across a later clean stop", async () => {
      const { topic, group } = names();
      const store = new MemStore();
      const producer = await connect();
      await publish(producer, topic, 400);
      const lastByA = new Map<string, number>();
      const a = consumer(group, topic)
        .bindSlots(await connect(), store)
        .setProcessor((message: Message) => {
          const position = message.position as { partition: string; offset: number | string };
          lastByA.set(position.partition, Number(position.offset));
        });
      await a.start();
      await waitFor(() => a.health().counters.processed === 400, "400 processed by the first member");
      // No commit is due (commit interval 1 h): the hand-over itself must commit.
      const b = consumer(group, topic)
        .bindSlots(await connect(), store)
        .setProcessor(() => {});
      await b.start();
      const moved = b.health().membership.partitions ?? [];
      expect(moved.length).toBeGreaterThan(0);
      const state = await stored(store, a.stateKey);
      for (const partition of moved) expect(Number(state?.offsets[partition])).toBe(lastByA.get(partition));
      // And B, which processed nothing, never moves them back when it stops.
      await b.stop();
      await a.stop();
      const after = await stored(store, a.stateKey);
      for (const [partition, offset] of lastByA) expect(Number(after?.offsets[partition])).toBe(offset);
      expect(b.health().counters.processed).toBe(0);
    }, 120_000);

    it("positions a partition from the checkpoint when it is assigned, without waiting for a new message", async () => {
      const { topic, group } = names();
      const store = new MemStore();
      const producer = await connect({ partitions: 1 });
      await publish(producer, topic, 20);
      const first = consumer(group, topic)
        .bindSlots(await connect({ partitions: 1 }), store, undefined, { sourceInterface: "queue" })
        .setProcessor(() => {});
      await first.start();
      await waitFor(() => first.health().counters.processed === 20, "20 processed");
      await first.stop(); // Kafka's group offset is now 20 (queue mode commits acknowledged offsets)
      // The state store says only 0..9 finished (e.g. restored from an older backup): 10..19 run again.
      const state = (await stored(store, first.stateKey)) as ConsumerState;
      await store.set(first.stateKey, encodeState({ ...state, offset: 9, offsets: { "0": 9 } }));
      const replayed: string[] = [];
      const second = consumer(group, topic)
        .bindSlots(await connect({ partitions: 1 }), store, undefined, { sourceInterface: "queue" })
        .setProcessor((message) => void replayed.push(String(message.position?.offset)));
      await second.start();
      // Nothing new is published: before the fix the seek waited for the partition's next batch.
      await waitFor(() => replayed.length === 10, "10..19 replayed", 30_000);
      expect(replayed).toEqual(Array.from({ length: 10 }, (_, i) => String(10 + i))); // offsets, in order
    }, 120_000);
  });
}
