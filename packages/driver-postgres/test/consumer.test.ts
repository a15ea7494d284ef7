import {
  type BehaviorConfig,
  Consumer,
  createConsumer,
  DeadLetterKey,
  PermanentError,
  parseConfigYaml,
  silentLogger,
} from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { PostgresDriver, postgresDriver } from "../src/index.js";
import { testSchema } from "./postgres-test-schema.js";

const server = await backend("postgres");
const schema = testSchema(server.url, "consumer");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function behavior(topic: string, overrides: Partial<BehaviorConfig> = {}): BehaviorConfig {
  return {
    consumerGroup: "orders-group",
    topic,
    maxRetries: 2,
    retryBackoff: { initial: 1, max: 4, multiplier: 2, jitter: 0 },
    commitInterval: "1h",
    shutdownTimeout: "2s",
    ...overrides,
  };
}

async function publish(
  send: (payload: Uint8Array, metadata: Record<string, string>) => Promise<unknown>,
  from: number,
  to: number,
): Promise<void> {
  for (let n = from; n < to; n++) await send(encoder.encode(String(n)), { n: String(n) });
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A processor that records payloads and fails for good on the ones listed. */
function recorder(failing: readonly string[] = []) {
  const processed: string[] = [];
  const processor = (message: { payload: Uint8Array }) => {
    const n = decoder.decode(message.payload);
    if (failing.includes(n)) throw new PermanentError(`order ${n} is invalid`);
    processed.push(n);
  };
  return { processed, processor };
}

describe.runIf(server.available)("Consumer with PostgreSQL in its slots", () => {
  let sql: pg.Pool;
  let driver: PostgresDriver;
  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: server.url });
    driver = await PostgresDriver.connect({
      connectionString: server.url,
      schema: schema.name,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await driver.close();
    await sql.end();
    await schema.drop();
  });

  async function storedState(key: string): Promise<unknown> {
    const { rows } = await sql.query<{ value: Buffer }>(
      `SELECT value FROM ${driver.names.kvTable} WHERE key = $1`,
      [key],
    );
    return rows[0] === undefined ? undefined : JSON.parse(rows[0].value.toString("utf8"));
  }

  async function deadLetters(queue: string) {
    const { rows } = await sql.query<{ payload: Buffer; metadata: Record<string, string> }>(
      `SELECT payload, metadata FROM ${driver.names.queueTable} WHERE queue = $1 ORDER BY id`,
      [queue],
    );
    return rows.map((row) => ({ payload: row.payload.toString("utf8"), metadata: row.metadata }));
  }

  it("state store: keeps the checkpoint in the key/value table and resumes from it after a restart", async () => {
    const topic = `orders.state.${Date.now()}`;
    const source = new MemStore();
    const { processed, processor } = recorder();
    const first = new Consumer({ name: "order-processor", behavior: behavior(topic), logger: silentLogger })
      .bindSlots(source, driver, source)
      .setProcessor(processor);
    await publish((p, m) => source.publish(topic, p, m), 0, 5);
    await first.start();
    await waitFor(() => processed.length === 5, "5 processed");
    await first.stop();
    const key = `consumer:orders-group:${topic}:order-processor`;
    expect(first.stateKey).toBe(key);
    expect(await storedState(key)).toEqual({
      offset: 5,
      offsets: { "0": 5 },
      last_message_id: "5",
      last_updated: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      retry_count: 0,
    });

    // A new source replays everything from the start; only the checkpoint in PostgreSQL says what is done.
    const replay = new MemStore();
    await publish((p, m) => replay.publish(topic, p, m), 0, 8);
    const second = new Consumer({ name: "order-processor", behavior: behavior(topic), logger: silentLogger })
      .bindSlots(replay, driver, replay)
      .setProcessor(processor);
    await second.start();
    await waitFor(() => processed.length === 8, "8 processed");
    await second.stop();
    expect(processed).toEqual(["0", "1", "2", "3", "4", "5", "6", "7"]);
    expect(await storedState(key)).toMatchObject({ offsets: { "0": 8 } });
  });

  it("dead-letter queue: failed messages land in the queue table with their failure metadata", async () => {
    const topic = `orders.dlq.${Date.now()}`;
    const source = new MemStore();
    const { processed, processor } = recorder(["1", "3"]);
    const consumer = new Consumer({
      name: "order-processor",
      behavior: behavior(topic),
      logger: silentLogger,
    })
      .bindSlots(source, source, driver)
      .setProcessor(processor);
    await publish((p, m) => source.publish(topic, p, m), 0, 5);
    await consumer.start();
    await waitFor(() => consumer.health().counters.deadLettered === 2, "2 dead-lettered");
    await consumer.stop();
    expect(processed).toEqual(["0", "2", "4"]);
    const rows = await deadLetters(`${topic}.dlq`);
    expect(rows.map((row) => row.payload)).toEqual(["1", "3"]);
    for (const row of rows) {
      expect(row.metadata).toEqual({
        n: row.payload,
        [DeadLetterKey.OriginalTopic]: topic,
        [DeadLetterKey.OriginalId]: String(Number(row.payload) + 1),
        [DeadLetterKey.Error]: `order ${row.payload} is invalid`,
        [DeadLetterKey.Attempts]: "1",
        [DeadLetterKey.FirstFailureAt]: expect.stringMatching(/^\d{13}$/),
        [DeadLetterKey.LastFailureAt]: expect.stringMatching(/^\d{13}$/),
        [DeadLetterKey.ConsumerName]: "order-processor",
        [DeadLetterKey.ConsumerGroup]: "orders-group",
      });
    }
  });

  it("state store and dead-letter queue: both in PostgreSQL, resuming without reprocessing", async () => {
    const topic = `orders.both.${Date.now()}`;
    const source = new MemStore();
    const { processed, processor } = recorder(["2"]);
    const make = (from: MemStore) =>
      new Consumer({ name: "order-processor", behavior: behavior(topic), logger: silentLogger })
        .bindSlots(from, driver, driver)
        .setProcessor(processor);
    await publish((p, m) => source.publish(topic, p, m), 0, 4);
    const first = make(source);
    await first.start();
    await waitFor(() => processed.length === 3 && first.health().counters.deadLettered === 1, "4 finished");
    await first.stop();
    const replay = new MemStore();
    await publish((p, m) => replay.publish(topic, p, m), 0, 6);
    const second = make(replay);
    await second.start();
    await waitFor(() => processed.length === 5, "2 more processed");
    await second.stop();
    expect(processed).toEqual(["0", "1", "3", "4", "5"]);
    expect((await deadLetters(`${topic}.dlq`)).map((row) => row.payload)).toEqual(["2"]);
    expect(await storedState(second.stateKey)).toMatchObject({ offsets: { "0": 6 } });
  });

  it("message source too: a PostgreSQL queue consumed, acknowledged (deleted) and dead-lettered", async () => {
    const topic = `orders.queue.${Date.now()}`;
    const { processed, processor } = recorder(["1"]);
    let failedOnce = false;
    const consumer = new Consumer({
      name: "order-processor",
      behavior: behavior(topic),
      logger: silentLogger,
    })
      .bindSlots(driver, driver, driver)
      .setProcessor((message) => {
        // "0" fails once, then succeeds on its retry.
        if (decoder.decode(message.payload) === "0" && !failedOnce) {
          failedOnce = true;
          throw new Error("flaky");
        }
        processor(message);
      });
    await publish((p, m) => driver.enqueue(topic, p, m), 0, 3);
    await consumer.start();
    await waitFor(
      () => processed.length === 2 && consumer.health().counters.deadLettered === 1,
      "3 finished",
    );
    await consumer.stop();
    expect(processed).toEqual(["0", "2"]);
    expect(consumer.health().counters.retries).toBe(1);
    expect(await deadLetters(topic)).toEqual([]);
    expect((await deadLetters(`${topic}.dlq`)).map((row) => row.payload)).toEqual(["1"]);
  });

  it('from YAML: driver "postgres" for state store and dead-letter queue, memstore as the source', async () => {
    const topic = `orders.yaml.${Date.now()}`;
    const source = new MemStore();
    const config = parseConfigYaml(
      `
name: yaml-processor
slots:
  message_source:
    driver: memstore
  state_store:
    driver: postgres
    config:
      url: \${DATABASE_URL}
      schema: ${schema.name}
      pool_size: 2
  dead_letter_queue:
    driver: postgres
    config:
      url: \${DATABASE_URL}
      schema: ${schema.name}
      pool_size: 2
behavior:
  consumer_group: yaml-group
  topic: ${topic}
  max_retries: 1
  retry_backoff:
    initial: 1ms
    max: 2ms
  commit_interval: 1h
`,
      { env: { DATABASE_URL: server.url } },
    );
    const { processed, processor } = recorder(["0"]);
    const consumer = await createConsumer(config, {
      drivers: { memstore: () => source, postgres: postgresDriver },
      logger: silentLogger,
    });
    consumer.setProcessor(processor);
    await publish((p, m) => source.publish(topic, p, m), 0, 3);
    await consumer.start();
    await waitFor(
      () => processed.length === 2 && consumer.health().counters.deadLettered === 1,
      "3 finished",
    );
    await consumer.stop();
    expect(processed).toEqual(["1", "2"]);
    expect(
      (await deadLetters(`${topic}.dlq`)).map((row) => row.metadata[DeadLetterKey.ConsumerName]),
    ).toEqual(["yaml-processor"]);
    expect(await storedState(`consumer:yaml-group:${topic}:yaml-processor`)).toMatchObject({
      offsets: { "0": 3 },
    });
  });

  it("from YAML: an unreachable server fails createConsumer at once with the slot's error", async () => {
    const config = parseConfigYaml(`
name: unreachable
slots:
  message_source:
    driver: memstore
  state_store:
    driver: postgres
    config:
      host: 127.0.0.1
      port: 1
      password: s3cret-pw
behavior:
  consumer_group: g
  topic: t
`);
    const error = await createConsumer(config, {
      drivers: { memstore: () => new MemStore(), postgres: postgresDriver },
      logger: silentLogger,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BACKEND_UNAVAILABLE", retryable: true });
    expect((error as Error).message).toContain("postgres connect on 127.0.0.1:1");
    expect((error as Error).message).not.toContain("s3cret-pw");
  });
});
