import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { bytes, consumerOptions, text } from "../test/helpers.js";
import { Consumer } from "./consumer.js";
import { PermanentError } from "./errors.js";

describe("deduplication", () => {
  it("does not process again what was processed within the window — across a restart — and counts it", async () => {
    const store = new MemStore();
    const processed: string[] = [];
    const make = () =>
      new Consumer(
        consumerOptions({ topic: "orders", deduplicate: { window: "1m", key: "idempotency-key" } }),
      )
        .bindSlots(store, store)
        .setProcessor((message) => void processed.push(text(message.payload)));
    const first = make();
    await first.start();
    await store.publish("orders", bytes("a"), { "idempotency-key": "k1" });
    await first.once("processed");
    await first.stop();
    // The producer retried: the same key again, plus a new one.
    const second = make();
    await second.start();
    await store.publish("orders", bytes("a again"), { "idempotency-key": "k1" });
    await store.publish("orders", bytes("b"), { "idempotency-key": "k2" });
    await second.once("processed");
    await second.stop();
    expect(processed).toEqual(["a", "b"]);
    expect(second.health().counters).toMatchObject({ deduplicated: 1, processed: 1 });
    const key = `${first.stateKey}:seen:k1`;
    expect(Number(text((await store.get(key)) as Uint8Array))).toBeGreaterThan(Date.now());
  });

  it("remembers only what was processed: a message that failed is processed when it comes again", async () => {
    const store = new MemStore();
    let fail = true;
    const consumer = new Consumer(
      consumerOptions({ topic: "orders", maxRetries: 0, deduplicate: { window: "1m" } }),
    )
      .bindSlots(store, store, store)
      .setProcessor(() => {
        if (fail) throw new PermanentError("not yet");
      });
    await consumer.start();
    await store.publish("orders", bytes("x"));
    await consumer.once("deadLettered");
    fail = false;
    // The dead letter replayed with the same id counts as new: it was never processed.
    const letter = await (async () => {
      for await (const m of await store.receive("orders.dlq")) return m;
    })();
    expect(letter).toBeDefined();
    expect(await store.get(`${consumer.stateKey}:seen:1`)).toBeUndefined();
    await consumer.stop();
  });
});
