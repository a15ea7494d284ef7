import { Consumer } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Attr, meterConsumer } from "../src/index.js";
import { type OtelSdk, startSdk, total } from "./otel-sdk.js";

const text = (value: string) => new TextEncoder().encode(value);
let sdk: OtelSdk;
beforeEach(() => {
  sdk = startSdk();
});
afterEach(() => sdk.shutdown());

describe("meterConsumer", () => {
  it("counts outcomes, records durations, in-flight, commits and the source's lag", async () => {
    const store = new MemStore();
    const consumer = new Consumer({
      name: "metered",
      behavior: {
        consumerGroup: "g",
        topic: "orders",
        maxRetries: 1,
        retryBackoff: { initial: "1ms", max: "1ms" },
        commitInterval: 0,
        filter: { metadata: { kind: ["order", "bad"] } },
      },
      logger: { info() {}, warn() {}, error() {}, debug() {} },
    })
      .bindSlots(store, store, store)
      .setProcessor((message) => {
        if (message.metadata.kind === "bad") throw new Error("bad order");
      });
    const stop = meterConsumer(consumer, {
      meterProvider: sdk.meterProvider,
      source: store,
      lagIntervalMs: 20,
      system: "memstore",
    });
    // Before start nothing was consumed: the lag is what waits.
    for (const kind of ["order", "order", "bad", "refund"])
      await store.publish("orders", text(kind), { kind });
    await consumer.start();
    await consumer.once("deadLettered");
    await consumer.once("committed", () => consumer.health().counters.filtered === 1);
    await new Promise((resolve) => setTimeout(resolve, 60));

    expect(total(await sdk.points("prism.consumer.processed"))).toBe(2);
    expect(total(await sdk.points("prism.consumer.failed"))).toBe(2);
    expect(total(await sdk.points("prism.consumer.retried"))).toBe(1);
    expect(total(await sdk.points("prism.consumer.dead_lettered"))).toBe(1);
    expect(total(await sdk.points("prism.consumer.filtered"))).toBe(1);
    expect(total(await sdk.points("prism.consumer.commits"))).toBeGreaterThan(0);
    const durations = await sdk.points("messaging.process.duration");
    const counts = durations.map((p) => (p.value as { count: number }).count);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(durations.some((p) => p.attributes[Attr.ErrorType] === "Error")).toBe(true);
    const [processed] = await sdk.points("prism.consumer.processed");
    expect(processed?.attributes).toMatchObject({
      [Attr.Destination]: "orders",
      [Attr.ConsumerGroup]: "g",
      [Attr.ConsumerName]: "metered",
      [Attr.System]: "memstore",
    });
    expect(total(await sdk.points("prism.consumer.in_flight"))).toBe(0);
    const lag = await sdk.points("prism.consumer.lag");
    expect(lag.map((p) => [p.attributes[Attr.Partition], p.value])).toEqual([["0", 0]]);

    await consumer.stop();
    for (const kind of ["order", "order", "order"]) await store.publish("orders", text(kind), { kind });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(total(await sdk.points("prism.consumer.lag"))).toBe(3);
    stop();
  });

  it("leaves the lag out for a source that cannot tell it", async () => {
    const store = new MemStore();
    const consumer = new Consumer({ name: "m", behavior: { consumerGroup: "g", topic: "t" } })
      .bindSlots(store, store)
      .setProcessor(() => {});
    const stop = meterConsumer(consumer, { meterProvider: sdk.meterProvider, source: {} });
    expect(await sdk.points("prism.consumer.lag")).toEqual([]);
    stop();
  });
});
