import {
  type BehaviorConfig,
  Consumer,
  createConsumer,
  DeadLetterKey,
  type Message,
  PermanentError,
  parseConfigYaml,
  silentLogger,
  stateKey,
} from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { RedisDriver, redisDriver } from "../src/index.js";
import { deleteKeysUnder, uniquePrefix } from "./redis-test-support.js";

const redis = await backend("redis");
const keyPrefix = uniquePrefix("consumer");
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Fast, deterministic retries; commits only on stop so the stored state is predictable. */
function behavior(overrides: Partial<BehaviorConfig> = {}): BehaviorConfig {
  return {
    consumerGroup: "order-processor-group",
    topic: "orders.created",
    maxRetries: 2,
    retryBackoff: { initial: 1, max: 4, multiplier: 2, jitter: 0 },
    commitInterval: "1h",
    shutdownTimeout: "2s",
    ...overrides,
  };
}

/**
 * Processes orders "0", "1", …: `malformed` ones fail at once (PermanentError), `declined` ones fail
 * every attempt (a plain error, retried until the attempts run out).
 */
function processor(processed: string[], fail: { malformed?: string[]; declined?: string[] }) {
  return (message: Message) => {
    const order = text(message.payload);
    if (fail.malformed?.includes(order)) throw new PermanentError(`order ${order} is malformed`);
    if (fail.declined?.includes(order)) throw new Error(`payment for order ${order} was declined`);
    processed.push(order);
  };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Takes `count` messages from a Redis queue as the group "inspector", acknowledging them. */
async function drain(driver: RedisDriver, queue: string, count: number): Promise<Message[]> {
  const abort = new AbortController();
  const taken: Message[] = [];
  const timer = setTimeout(() => abort.abort(), 10_000);
  for await (const message of await driver.receive(queue, { group: "inspector", signal: abort.signal })) {
    taken.push(message);
    await driver.acknowledge(message);
    if (taken.length === count) break;
  }
  clearTimeout(timer);
  return taken;
}

describe.runIf(redis.available)("the consumer with Redis in its slots", () => {
  let admin: Redis;
  const drivers: RedisDriver[] = [];
  const connect = async () => {
    const driver = await RedisDriver.connect({
      url: redis.url,
      keyPrefix,
      claimIdle: 500,
      logger: silentLogger,
    });
    drivers.push(driver);
    return driver;
  };
  const storedState = async (key: string) => JSON.parse((await admin.get(keyPrefix + key)) ?? "null");

  beforeAll(() => {
    admin = new Redis(redis.url);
  });
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.close()));
  });
  afterAll(async () => {
    await deleteKeysUnder(redis.url, keyPrefix);
    admin.disconnect();
  });

  it("MemStore source, Redis state store and DLQ: dead-letters, checkpoints, resumes without reprocessing", async () => {
    const topic = `orders-${Date.now().toString(36)}`;
    const store = await connect();
    const failing = { malformed: ["2"], declined: ["4"] };
    const processed: string[] = [];
    const source = new MemStore();
    for (let n = 0; n < 6; n++) await source.publish(topic, bytes(String(n)), { "order-id": String(n) });
    const first = new Consumer({
      name: "order-processor",
      behavior: behavior({ topic }),
      logger: silentLogger,
    })
      .bindSlots(source, store, store)
      .setProcessor(processor(processed, failing));
    await first.start();
    await waitFor(() => processed.length === 4 && first.health().counters.deadLettered === 2, "4 processed");
    await first.stop();
    expect(processed).toEqual(["0", "1", "3", "5"]);

    const dead = await drain(store, `${topic}.dlq`, 2);
    expect(dead.map((m) => text(m.payload))).toEqual(["2", "4"]);
    expect(dead[0]?.metadata).toMatchObject({
      "order-id": "2",
      [DeadLetterKey.OriginalTopic]: topic,
      [DeadLetterKey.OriginalId]: "3",
      [DeadLetterKey.Error]: "order 2 is malformed",
      [DeadLetterKey.Attempts]: "1",
      [DeadLetterKey.ConsumerName]: "order-processor",
      [DeadLetterKey.ConsumerGroup]: "order-processor-group",
    });
    expect(dead[1]?.metadata).toMatchObject({
      [DeadLetterKey.Error]: "payment for order 4 was declined",
      [DeadLetterKey.Attempts]: "3",
    });

    const key = stateKey("order-processor-group", topic, "order-processor");
    expect(first.stateKey).toBe(key);
    expect(await storedState(key)).toEqual({
      offset: 6,
      offsets: { "0": 6 },
      last_message_id: "6",
      last_updated: expect.any(String),
      retry_count: 2,
    });

    // A new process: a fresh source holding the same six orders plus two new ones. Only the state in
    // Redis says where the last run stopped.
    const restartedSource = new MemStore();
    for (let n = 0; n < 8; n++) await restartedSource.publish(topic, bytes(String(n)));
    const afterRestart: string[] = [];
    const second = new Consumer({
      name: "order-processor",
      behavior: behavior({ topic }),
      logger: silentLogger,
    })
      .bindSlots(restartedSource, store, store)
      .setProcessor(processor(afterRestart, failing));
    await second.start();
    await waitFor(() => afterRestart.length === 2, "the two new orders");
    await second.stop();
    expect(afterRestart).toEqual(["6", "7"]);
    expect((await storedState(key)).offsets).toEqual({ "0": 8 });
  });

  it("from YAML: driver redis (address, pool_size) for state and DLQ, memstore for the source", async () => {
    const topic = `orders-${Date.now().toString(36)}`;
    const url = new URL(redis.url);
    const yaml = `
name: order-processor
slots:
  message_source:
    driver: memstore
  state_store:
    driver: redis
    config:
      address: "\${REDIS_ADDRESS}"
      pool_size: 10
      key_prefix: "\${KEY_PREFIX}"
  dead_letter_queue:
    driver: redis
    config:
      address: "\${REDIS_ADDRESS}"
      pool_size: 10
      key_prefix: "\${KEY_PREFIX}"
behavior:
  consumer_group: yaml-group
  topic: ${topic}
  max_retries: 1
  retry_backoff:
    initial: 1ms
    max: 2ms
  commit_interval: 1h
`;
    const env = { REDIS_ADDRESS: `${url.hostname}:${url.port || 6379}`, KEY_PREFIX: keyPrefix };
    const source = new MemStore();
    const consumer = await createConsumer(parseConfigYaml(yaml, { env }), {
      drivers: { memstore: () => source, redis: redisDriver },
      logger: silentLogger,
    });
    const processed: string[] = [];
    consumer.setProcessor(processor(processed, { declined: ["1"] }));
    await consumer.start();
    for (let n = 0; n < 3; n++) await source.publish(topic, bytes(String(n)));
    await waitFor(
      () => processed.length === 2 && consumer.health().counters.deadLettered === 1,
      "2 processed",
    );
    await consumer.stop(); // also closes the Redis driver createConsumer made

    expect(processed).toEqual(["0", "2"]);
    expect((await storedState(stateKey("yaml-group", topic, "order-processor"))).offsets).toEqual({ "0": 3 });
    const [dead] = await drain(await connect(), `${topic}.dlq`, 1);
    expect(dead && text(dead.payload)).toBe("1");
    expect(dead?.metadata[DeadLetterKey.Error]).toBe("payment for order 1 was declined");
  });

  it("Redis as the message source: a poison message is dead-lettered and the stream goes on", async () => {
    const topic = `payments-${Date.now().toString(36)}`;
    const redisSlots = await connect();
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) ids.push(await redisSlots.enqueue(topic, bytes(String(n))));
    const processed: string[] = [];
    const consumer = new Consumer({ name: "payer", behavior: behavior({ topic }), logger: silentLogger })
      .bindSlots(redisSlots, redisSlots, redisSlots)
      .setProcessor(processor(processed, { declined: ["1"] }));
    await consumer.start();
    await waitFor(() => processed.length === 3, "the messages around the poison one");
    ids.push(await redisSlots.enqueue(topic, bytes("4")));
    await waitFor(() => processed.length === 4, "a message enqueued after the poison one");
    await consumer.stop();

    expect(processed).toEqual(["0", "2", "3", "4"]);
    expect(consumer.health().counters.deadLettered).toBe(1);
    const [dead] = await drain(redisSlots, `${topic}.dlq`, 1);
    expect(dead?.metadata).toMatchObject({
      [DeadLetterKey.OriginalTopic]: topic,
      [DeadLetterKey.OriginalId]: ids[1],
      [DeadLetterKey.Attempts]: "3",
    });
    // Everything, the poison message included, was acknowledged: nothing is left pending in the group.
    const [pendingCount] = (await admin.xpending(keyPrefix + topic, "order-processor-group")) as [number];
    expect(pendingCount).toBe(0);
    expect((await storedState(stateKey("order-processor-group", topic, "payer"))).offsets).toEqual({
      "0": ids[4],
    });
  });
});
