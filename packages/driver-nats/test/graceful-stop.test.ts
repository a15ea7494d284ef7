import { Consumer, silentLogger } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver } from "../src/index.js";
import { deleteStreamsContaining, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const runPrefix = uniquePrefix("graceful");
const total = 1500;

/**
 * A consumer pulls ahead of its processor; when it stops, what it pulled and never processed is given
 * back. A restart (a rolling deploy) must get those messages soon — not after `ack_wait`, which is set
 * far beyond this test's wait so that a message stuck behind it cannot be missed.
 */
describe.runIf(nats.available)("JetStream: a graceful stop gives back what was pulled ahead", () => {
  const drivers: NatsDriver[] = [];
  const open = async () => {
    const driver = await NatsDriver.connect({ url: nats.url, ackWait: "5m", logger: silentLogger });
    drivers.push(driver);
    return driver;
  };
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.close()));
  });
  afterAll(() => deleteStreamsContaining(nats.url, runPrefix));

  it("a restarted consumer processes every message, without waiting for ack_wait", async () => {
    const topic = `${runPrefix}.orders`;
    const publisher = await open();
    for (let i = 0; i < total; i++) await publisher.publish(topic, new Uint8Array([i % 256]));
    const state = new MemStore();
    const consumerOn = (driver: NatsDriver) =>
      new Consumer({
        name: "graceful",
        behavior: { consumerGroup: "g", topic },
        logger: silentLogger,
      }).bindSlots(driver, state);

    const processed = new Set<string>();
    const first = consumerOn(await open()).setProcessor(async (message) => {
      processed.add(message.id);
      // Slower than the pull: the driver holds a batch pulled ahead when the stop comes.
      await new Promise((resolve) => setTimeout(resolve, 1));
    });
    await first.start();
    while (processed.size < 100) await new Promise((resolve) => setTimeout(resolve, 10));
    await first.stop();
    const afterFirst = processed.size;
    expect(afterFirst).toBeLessThan(total);

    const second = consumerOn(await open()).setProcessor((message) => {
      processed.add(message.id);
    });
    await second.start();
    const deadline = Date.now() + 20_000;
    while (processed.size < total && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await second.stop();
    expect(total - processed.size, `messages still held after the first run processed ${afterFirst}`).toBe(0);
  });
});
