import {
  type BehaviorConfig,
  Consumer,
  type ConsumerState,
  type KeyValueBasicInterface,
  type Message,
  silentLogger,
  stateKey,
} from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { RedisDriver } from "@prism/driver-redis";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../../scripts/test-support/backends.mjs";
import { deleteTopicsAndGroupsContaining } from "./kafka-test-support.js";
import type { KafkaTestDriver, KafkaUnderTest } from "./kafka-under-test.js";

const kafka = await backend("kafka");
const redis = await backend("redis");
const brokers = kafka.url.split(",");
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const bytes = (value: string) => new TextEncoder().encode(value);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

function behavior(topic: string, overrides: Partial<BehaviorConfig> = {}): BehaviorConfig {
  return {
    consumerGroup: `payments-${run}`,
    topic,
    maxRetries: 2,
    retryBackoff: { initial: 1, max: 4, multiplier: 2, jitter: 0 },
    commitInterval: "1h",
    shutdownTimeout: "5s",
    ...overrides,
  };
}

async function publish(driver: KafkaTestDriver, topic: string, from: number, to: number): Promise<void> {
  // Keys spread the messages over the partitions; per key (partition) order is Kafka's promise.
  for (let n = from; n < to; n++) await driver.publish(topic, bytes(String(n)), { "kafka-key": `k${n % 7}` });
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function storedState(store: KeyValueBasicInterface, key: string): Promise<ConsumerState> {
  const value = await store.get(key);
  if (!value) throw new Error(`no state at ${key}`);
  return JSON.parse(text(value));
}

/** What is Kafka's own in a consumer over the Kafka driver `under`: partitions, checkpoints, order. */
export function describeKafkaConsumer(under: KafkaUnderTest): void {
  const connect = () =>
    under.connect({ brokers, partitions: 3, sessionTimeout: 10_000, heartbeatInterval: 1000 });

  afterAll(async () => {
    if (kafka.available) await deleteTopicsAndGroupsContaining(brokers, run);
  });

  // Poison messages, crashes, clean restarts, YAML and an unreachable broker are the kit's consumer suite
  // (conformance.test.ts); here: what is Kafka's own — partitions, per-partition checkpoints and order.
  describe.runIf(kafka.available && redis.available)(`Kafka source (${under.label}), Redis state`, () => {
    it("after a crash resumes from the checkpoint: duplicates are only the messages since it", async () => {
      const topic = `orders-crash-${run}`;
      const producer = await connect();
      const state = await RedisDriver.connect({ url: redis.url, keyPrefix: `prism-kafka-${run}:` });
      const processed: string[] = [];
      const make = (source: KafkaTestDriver) =>
        new Consumer({
          name: "order-processor",
          behavior: behavior(topic, { autoCommit: false }),
          logger: silentLogger,
        })
          .bindSlots(source, state)
          .setProcessor((message: Message) => {
            processed.push(text(message.payload));
          });
      try {
        await publish(producer, topic, 0, 60);
        const crashingSource = await connect();
        const first = make(crashingSource);
        await first.start();
        await waitFor(() => first.health().counters.processed >= 40, "40 processed");
        const checkpoint = await first.commit();
        const committedCount = Object.values(checkpoint.offsets).reduce<number>(
          (sum, o) => sum + Number(o) + 1,
          0,
        );
        await waitFor(() => first.health().counters.processed === 60, "60 processed");
        // A crash: the connection goes away without stop(), so nothing after the commit is checkpointed.
        await crashingSource.close();

        const before = processed.length;
        const source = await connect();
        const second = make(source);
        await second.start();
        await waitFor(
          () => second.health().counters.processed === 60 - committedCount,
          "the uncommitted tail again",
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await second.stop();
        await source.close();
        expect(second.health().counters.processed).toBe(60 - committedCount);
        expect(new Set(processed).size).toBe(60);
        expect(processed.length - before).toBe(60 - committedCount);
      } finally {
        await producer.close();
        await state.delete(stateKey(`payments-${run}`, topic, "order-processor"));
        await state.close();
      }
    });
  });

  describe.runIf(kafka.available)(
    `Kafka source (${under.label}), memstore state, partitions in parallel`,
    () => {
      it('keeps per-partition order with concurrency 4 and ordering "partition", checkpointing each partition', async () => {
        const topic = `orders-parallel-${run}`;
        const source = await connect();
        const store = new MemStore();
        const order = new Map<string, number[]>();
        const consumer = new Consumer({
          name: "parallel",
          behavior: behavior(topic, { concurrency: 4, ordering: "partition" }),
          logger: silentLogger,
        })
          .bindSlots(source, store)
          .setProcessor(async (message) => {
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
            const key = message.metadata["kafka-key"] as string;
            order.set(key, [...(order.get(key) ?? []), Number(text(message.payload))]);
          });
        try {
          await publish(source, topic, 0, 140);
          await consumer.start();
          await waitFor(() => consumer.health().counters.processed === 140, "140 processed");
          for (const sequence of order.values())
            expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
          expect(order.size).toBe(7);
          await consumer.stop();
          // The checkpoint holds each partition's last offset: one below its high watermark.
          const stored = await storedState(store, consumer.stateKey);
          const highWatermarks = await highWatermarksOf(topic);
          expect(Object.keys(stored.offsets).sort()).toEqual(["0", "1", "2"]);
          for (const [partition, offset] of Object.entries(stored.offsets))
            expect(Number(offset) + 1).toBe(highWatermarks[partition]);
        } finally {
          await consumer.stop();
          await source.close();
        }
      });
    },
  );
}

async function highWatermarksOf(topic: string): Promise<Record<string, number>> {
  const { Kafka, logLevel } = await import("kafkajs");
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return Object.fromEntries(offsets.map((o) => [String(o.partition), Number(o.high)]));
}
