// The console's rates, history, lag and stored checkpoint, from a real consumer over memstore.
import { Consumer } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { StatusSampler } from "./status-sampler.js";

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}

describe("StatusSampler", () => {
  it("computes rates per second from its samples, keeps five minutes of history, reads lag and the stored checkpoint", async () => {
    const store = new MemStore();
    const consumer = new Consumer({ name: "sampled", behavior: { consumerGroup: "g", topic: "t" } })
      .bindSlots(store, store)
      .setProcessor(async () => {});
    let clock = 1_000_000;
    const sampler = new StatusSampler({
      consumer,
      lagSource: store,
      stateStore: store,
      lagIntervalMs: 1000,
      now: () => clock,
    });
    await consumer.start();
    sampler.sample();
    for (let i = 0; i < 10; i++) await store.publish("t", new TextEncoder().encode(`m-${i}`));
    await until(() => consumer.health().counters.processed === 10);
    await consumer.stop(); // commits the checkpoint

    clock += 2000;
    sampler.sample();
    const read = sampler.read();
    expect(read.counts).toEqual({ processed: 10, failed: 0, retried: 0, deadLettered: 0, filtered: 0 });
    expect(read.rates.processed).toBe(5);
    expect(read.history.map((point) => point.processedPerSecond)).toEqual([0, 5]);
    await until(() => sampler.read().stored.stored !== null && sampler.read().lag.total === 0);
    const stored = sampler.read().stored.stored;
    expect(Object.keys(stored?.offsets ?? {})).toEqual(["0"]);
    expect(sampler.read().lag.partitions).toEqual({ "0": 0 });

    // Past the rate window the rate is 0 again; past five minutes old points are gone.
    clock += 6 * 60_000;
    sampler.sample();
    expect(sampler.read().rates.processed).toBe(0);
    expect(sampler.read().history).toHaveLength(1);
  });
});
