import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Consumer, DeadLetterKey, type Message, silentLogger, stateKey } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver } from "../src/index.js";
import {
  behavior,
  bytes,
  drain,
  openStateStore,
  processor,
  type StateStoreUnderTest,
  text,
  waitFor,
} from "./consumer-support.js";
import { deleteStreamsContaining, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const redis = await backend("redis");
const postgres = await backend("postgres");
const runPrefix = uniquePrefix("consumer");
let topics = 0;
const newTopic = () => `${runPrefix}.orders${++topics}`;

describe.runIf(nats.available)("the consumer with NATS as its message source", () => {
  const drivers: NatsDriver[] = [];
  const open = async (options: Parameters<typeof NatsDriver.connect>[0] = {}) => {
    const driver = await NatsDriver.connect({ url: nats.url, logger: silentLogger, ...options });
    drivers.push(driver);
    return driver;
  };

  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.close()));
  });
  afterAll(() => deleteStreamsContaining(nats.url, runPrefix));

  const stores = [
    { name: "memstore", available: true },
    { name: "redis", available: redis.available },
    { name: "postgres", available: postgres.available },
  ] as const;

  for (const { name, available } of stores) {
    it.runIf(available)(
      `JetStream pub/sub, ${name} state store, NATS DLQ: dead-letters, checkpoints, resumes without reprocessing`,
      async () => {
        const topic = newTopic();
        const key = stateKey("order-processor-group", topic, "order-processor");
        const state: StateStoreUnderTest = await openStateStore(name, { redis, postgres }, runPrefix);
        try {
          const failing = { malformed: ["2"], declined: ["4"] };
          const nats1 = await open();
          for (let n = 0; n < 6; n++) await nats1.publish(topic, bytes(String(n)), { "order-id": String(n) });
          const processed: string[] = [];
          const first = new Consumer({
            name: "order-processor",
            behavior: behavior({ topic }),
            logger: silentLogger,
          })
            .bindSlots(nats1, state.store, nats1)
            .setProcessor(processor(processed, failing));
          await first.start();
          await waitFor(
            () => processed.length === 4 && first.health().counters.deadLettered === 2,
            "4 processed",
          );
          await first.stop();
          expect(processed).toEqual(["0", "1", "3", "5"]);

          const dead = await drain(nats1, `${topic}.dlq`, 2);
          expect(dead.map((m) => text(m.payload))).toEqual(["2", "4"]);
          expect(dead[0]?.metadata).toEqual({
            "order-id": "2",
            [DeadLetterKey.OriginalTopic]: topic,
            [DeadLetterKey.OriginalId]: "3",
            [DeadLetterKey.Error]: "order 2 is malformed",
            [DeadLetterKey.Attempts]: "1",
            [DeadLetterKey.FirstFailureAt]: expect.stringMatching(/^\d+$/),
            [DeadLetterKey.LastFailureAt]: expect.stringMatching(/^\d+$/),
            [DeadLetterKey.ConsumerName]: "order-processor",
            [DeadLetterKey.ConsumerGroup]: "order-processor-group",
          });
          expect(dead[1]?.metadata).toMatchObject({
            [DeadLetterKey.Error]: "payment for order 4 was declined",
            [DeadLetterKey.Attempts]: "3",
          });
          expect(await state.state(key)).toMatchObject({
            offset: 6,
            offsets: { "0": 6 },
            last_message_id: "6",
          });

          // A new process: a new connection; only the state store says where the last run stopped.
          const nats2 = await open();
          for (let n = 6; n < 8; n++) await nats2.publish(topic, bytes(String(n)));
          const afterRestart: string[] = [];
          const second = new Consumer({
            name: "order-processor",
            behavior: behavior({ topic }),
            logger: silentLogger,
          })
            .bindSlots(nats2, state.store, nats2)
            .setProcessor(processor(afterRestart, failing));
          await second.start();
          await waitFor(() => afterRestart.length === 2, "the two new orders");
          await second.stop();
          expect(afterRestart).toEqual(["6", "7"]);
          expect(await state.state(key)).toMatchObject({ offsets: { "0": 8 } });
        } finally {
          await state.close([key]);
        }
      },
    );
  }

  it("JetStream pub/sub: what a crashed member took but never settled is processed by another after ack_wait", async () => {
    const topic = newTopic();
    const store = new MemStore();
    const driver = await open({ ackWait: "1s" });
    for (let n = 0; n < 3; n++) await driver.publish(topic, bytes(String(n)));
    const processed: string[] = [];
    const consumer = () =>
      new Consumer({ name: "order-processor", behavior: behavior({ topic }), logger: silentLogger })
        .bindSlots(driver, store)
        .setProcessor(processor(processed));
    const first = consumer();
    await first.start();
    await waitFor(() => processed.length === 3, "the first three orders");
    await first.stop();

    // A replica of the same group took 3 and 4 through its own acknowledged subscription and died before
    // settling them; its checkpoint never moved either.
    for (let n = 3; n < 5; n++) await driver.publish(topic, bytes(String(n)));
    const crashed: Message[] = [];
    for await (const message of (await driver.subscribeAcknowledged(topic, "order-processor-group")) ?? []) {
      crashed.push(message);
      if (crashed.length === 2) break;
    }
    expect(crashed.map((m) => text(m.payload))).toEqual(["3", "4"]);

    const second = consumer();
    await second.start();
    await waitFor(() => processed.length === 5, "the orders the crashed replica never settled");
    await second.stop();
    expect(processed).toEqual(["0", "1", "2", "3", "4"]);
    // Delivered a second time, after the crashed replica's ack_wait.
    expect(second.health().counters.processed).toBe(2);
  });

  it.runIf(redis.available)(
    "JetStream queue with Redis state: acknowledged, dead-lettered, nothing left pending",
    async () => {
      const topic = newTopic();
      const key = stateKey("order-processor-group", topic, "payer");
      const state = await openStateStore("redis", { redis, postgres }, runPrefix);
      try {
        const driver = await open({ ackWait: "2s" });
        const ids: string[] = [];
        for (let n = 0; n < 4; n++) ids.push(await driver.enqueue(topic, bytes(String(n))));
        const processed: string[] = [];
        const run = () =>
          new Consumer({ name: "payer", behavior: behavior({ topic }), logger: silentLogger })
            .bindSlots(driver, state.store, driver, { sourceInterface: "queue" })
            .setProcessor(processor(processed, { declined: ["1"] }));
        const first = run();
        await first.start();
        await waitFor(
          () => processed.length === 3 && first.health().counters.deadLettered === 1,
          "3 processed",
        );
        await first.stop();
        expect(processed).toEqual(["0", "2", "3"]);
        const [dead] = await drain(driver, `${topic}.dlq`, 1);
        expect(dead?.metadata).toMatchObject({
          [DeadLetterKey.OriginalTopic]: topic,
          [DeadLetterKey.OriginalId]: ids[1],
          [DeadLetterKey.Attempts]: "3",
        });
        // Every message, the poison one too, was acknowledged: JetStream holds nothing for the group.
        const connection = await connect({ servers: nats.url });
        const jsm = await jetstreamManager(connection);
        const info = await jsm.consumers.info(
          `PRISM_${topic.replaceAll(".", "_")}`,
          `order-processor-group_${topic.replaceAll(".", "_")}`,
        );
        await connection.close();
        expect(info).toMatchObject({ num_pending: 0, num_ack_pending: 0, num_redelivered: 0 });
        expect(await state.state(key)).toMatchObject({ offsets: { "0": 4 } });

        // Acknowledgements are the queue's truth: a restarted consumer gets only what came since.
        await driver.enqueue(topic, bytes("4"));
        const second = run();
        await second.start();
        await waitFor(() => processed.length === 4, "the new order");
        await second.stop();
        expect(processed).toEqual(["0", "2", "3", "4"]);
      } finally {
        await state.close([key]);
      }
    },
  );

  it.runIf(postgres.available)(
    "core NATS pub/sub with PostgreSQL state and a JetStream DLQ on the same driver",
    async () => {
      const topic = newTopic();
      const key = stateKey("order-processor-group", topic, "notifier");
      const state = await openStateStore("postgres", { redis, postgres }, runPrefix);
      try {
        const driver = await open({ jetstream: false });
        const processed: string[] = [];
        const consumer = new Consumer({
          name: "notifier",
          behavior: behavior({ topic }),
          logger: silentLogger,
        })
          .bindSlots(driver, state.store, driver)
          .setProcessor(processor(processed, { malformed: ["1"] }));
        await consumer.start();
        const ids: string[] = [];
        for (let n = 0; n < 3; n++) ids.push(await driver.publish(topic, bytes(String(n))));
        await waitFor(
          () => processed.length === 2 && consumer.health().counters.deadLettered === 1,
          "2 processed",
        );
        await consumer.stop();
        expect(processed).toEqual(["0", "2"]);
        const [dead] = await drain(driver, `${topic}.dlq`, 1);
        expect(dead && text(dead.payload)).toBe("1");
        expect(dead?.metadata[DeadLetterKey.OriginalId]).toBe(ids[1]);
        // Core NATS has no positions: the state records the last message, not an offset.
        expect(await state.state(key)).toMatchObject({ offsets: {}, last_message_id: ids[2] });
      } finally {
        await state.close([key]);
      }
    },
  );
});
