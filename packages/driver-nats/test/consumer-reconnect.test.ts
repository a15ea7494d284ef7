import { Consumer, DeadLetterKey, silentLogger, stateKey } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver } from "../src/index.js";
import { behavior, bytes, drain, processor, text, waitFor } from "./consumer-support.js";
import { deleteStreamsContaining, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const restartNats = nats.available ? nats.restarter() : undefined;
const runPrefix = uniquePrefix("consumer");

// What the kit's consumer suite (conformance.test.ts) does not cover: core NATS (no positions) and the
// reconnect as health() reports it.
describe.runIf(nats.available)("the consumer over NATS: core mode and restarts", () => {
  afterAll(() => deleteStreamsContaining(nats.url, runPrefix));

  it("core NATS pub/sub with a JetStream DLQ on the same driver: the state records the last message", async () => {
    const topic = `${runPrefix}.core`;
    const state = new MemStore();
    const driver = await NatsDriver.connect({ url: nats.url, jetstream: false, logger: silentLogger });
    try {
      const processed: string[] = [];
      const consumer = new Consumer({ name: "notifier", behavior: behavior({ topic }), logger: silentLogger })
        .bindSlots(driver, state, driver)
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
      const key = stateKey("order-processor-group", topic, "notifier");
      const stored = await state.get(key);
      expect(stored && JSON.parse(text(stored))).toMatchObject({ offsets: {}, last_message_id: ids[2] });
    } finally {
      await driver.close();
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
