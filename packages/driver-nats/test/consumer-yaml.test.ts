import { Consumer, createConsumer, DeadLetterKey, parseConfigYaml, silentLogger } from "@prism/consumer-core";
import { MemStore, memstoreDriver } from "@prism/driver-memstore";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver, natsDriver } from "../src/index.js";
import { behavior, bytes, drain, processor, text, waitFor } from "./consumer-support.js";
import { deleteStreamsContaining, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const restartNats = nats.available ? nats.restarter() : undefined;
const runPrefix = uniquePrefix("seed");

/** The seed's slots, as written there, with the state store swapped for memstore and the URL from the env. */
const seedYaml = (topic: string) => `
name: order-processor
description: "Processes order events"
slots:
  message_source:
    driver: "nats"
    config:
      url: "\${NATS_URL}"
      max_reconnects: 10
  state_store:
    driver: "memstore"
  dead_letter_queue:
    driver: "nats"
    config:
      url: "\${NATS_URL}"
behavior:
  consumer_group: "order-processor-group"
  topic: "${topic}"
  max_retries: 2
  retry_backoff:
    initial: 1ms
    max: 4ms
  commit_interval: 1h
`;

describe.runIf(nats.available)("the consumer from YAML and across NATS restarts", () => {
  afterAll(() => deleteStreamsContaining(nats.url, runPrefix));

  it('runs the seed\'s YAML: driver "nats" for the source and the DLQ, memstore for the state', async () => {
    const topic = `${runPrefix}.orders.created`;
    const config = parseConfigYaml(seedYaml(topic), { env: { NATS_URL: nats.url } });
    const consumer = await createConsumer(config, {
      drivers: { nats: natsDriver, memstore: memstoreDriver },
      logger: silentLogger,
    });
    const processed: string[] = [];
    consumer.setProcessor(processor(processed, { declined: ["1"] }));
    await consumer.start();
    const publisher = await NatsDriver.connect({ url: nats.url, logger: silentLogger });
    try {
      for (let n = 0; n < 3; n++) await publisher.publish(topic, bytes(String(n)), { "order-id": String(n) });
      await waitFor(
        () => processed.length === 2 && consumer.health().counters.deadLettered === 1,
        "2 processed",
      );
      expect(consumer.health().drivers).toMatchObject({
        messageSource: { connected: true, reconnects: 0 },
        deadLetterQueue: { connected: true, reconnects: 0 },
      });
      await consumer.stop(); // closes the two NATS drivers createConsumer made
      expect(processed).toEqual(["0", "2"]);
      expect(consumer.health().drivers.messageSource?.connected).toBe(false);
      const [dead] = await drain(publisher, `${topic}.dlq`, 1);
      expect(dead && text(dead.payload)).toBe("1");
      expect(dead?.metadata).toMatchObject({
        "order-id": "1",
        [DeadLetterKey.OriginalTopic]: topic,
        [DeadLetterKey.Error]: "payment for order 1 was declined",
        [DeadLetterKey.Attempts]: "3",
        [DeadLetterKey.ConsumerGroup]: "order-processor-group",
      });
    } finally {
      await publisher.close();
    }
  });

  it.runIf(restartNats)(
    "keeps consuming across a NATS restart, losing nothing, and shows the reconnect in health()",
    async () => {
      const topic = `${runPrefix}.restart`;
      const driver = await NatsDriver.connect({ url: nats.url, ackWait: "2s", logger: silentLogger });
      try {
        const processed: string[] = [];
        const record = processor(processed);
        const consumer = new Consumer({
          name: "order-processor",
          behavior: behavior({ topic }),
          logger: silentLogger,
        })
          .bindSlots(driver, new MemStore())
          .setProcessor(async (message) => {
            // Slow enough that the restart comes while messages are pulled ahead and in flight.
            await new Promise((resolve) => setTimeout(resolve, 10));
            record(message);
          });
        await consumer.start();
        for (let n = 0; n < 50; n++) await driver.publish(topic, bytes(String(n)));
        await waitFor(() => processed.length >= 25, "half the orders");
        await restartNats?.();
        await waitFor(() => (consumer.health().drivers.messageSource?.reconnects ?? 0) >= 1, "the reconnect");
        for (let n = 50; n < 100; n++) {
          for (;;) {
            try {
              await driver.publish(topic, bytes(String(n)));
              break;
            } catch {
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
          }
        }
        await waitFor(() => new Set(processed).size === 100, "all 100 orders", 30_000);
        await consumer.stop();
        expect([...new Set(processed)].map(Number).sort((a, b) => a - b)).toEqual([...Array(100).keys()]);
        expect(consumer.health()).toMatchObject({
          status: "stopped",
          drivers: { messageSource: { connected: true, reconnects: 1 } },
        });
      } finally {
        await driver.close();
      }
    },
    60_000,
  );
});
