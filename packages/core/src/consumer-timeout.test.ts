import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { bytes, consumerOptions, text } from "../test/helpers.js";
import { Consumer } from "./consumer.js";
import { DeadLetterKey } from "./dead-letter.js";
import { ConsumerStatus } from "./health.js";

describe("processing_timeout", () => {
  it("aborts an attempt at its deadline, retries it, then dead-letters it with the reason", async () => {
    const store = new MemStore();
    const aborted: boolean[] = [];
    const consumer = new Consumer(
      consumerOptions({ topic: "orders", maxRetries: 1, processingTimeout: "50ms" }),
    )
      .bindSlots(store, store, store)
      .setProcessor(async (message, { signal }) => {
        if (text(message.payload) !== "hangs") return;
        // Honest work that takes too long: it stops when told.
        await new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => resolve(), { once: true }),
        );
        aborted.push(signal.aborted);
      });
    await consumer.start();
    await store.publish("orders", bytes("hangs"));
    await store.publish("orders", bytes("fine"));
    const dead = await consumer.once("deadLettered");
    await consumer.once("processed");
    await consumer.stop();
    expect(aborted).toEqual([true, true]);
    expect(dead.failure).toMatchObject({ attempts: 2, error: expect.stringMatching(/timed out after 50ms/) });
    expect(consumer.health().counters).toMatchObject({
      timedOut: 2,
      failures: 2,
      deadLettered: 1,
      processed: 1,
    });
    const [letter] = await (async () => {
      for await (const m of await store.receive("orders.dlq")) return [m];
      return [];
    })();
    expect(letter?.metadata[DeadLetterKey.Error]).toMatch(/timed out after 50ms \(processing_timeout\)/);
  });

  it("shows a processor that ignores the abort as stalled in health(), while the consumer moves on", async () => {
    const store = new MemStore();
    let release: () => void = () => {};
    const consumer = new Consumer(
      consumerOptions({ topic: "orders", maxRetries: 0, processingTimeout: "30ms", shutdownTimeout: "50ms" }),
    )
      .bindSlots(store, store, store)
      .setProcessor(async (message) => {
        if (text(message.payload) === "stuck") await new Promise<void>((resolve) => (release = resolve));
      });
    const nextProcessed = consumer.once(
      "processed",
      (e) => text(e.messages[0]?.payload as Uint8Array) === "next",
    );
    const stalling = consumer.once("stalled");
    await consumer.start();
    await store.publish("orders", bytes("stuck"));
    await store.publish("orders", bytes("next"));
    const stalled = await stalling;
    expect(text(stalled.messages[0]?.payload as Uint8Array)).toBe("stuck");
    expect(consumer.health().status).toBe(ConsumerStatus.Stalled);
    await nextProcessed;
    release();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(consumer.health().status).toBe(ConsumerStatus.Running);
    await consumer.stop();
    expect(consumer.health().counters.deadLettered).toBe(1);
  });

  it("is off with processing_timeout 0", async () => {
    const store = new MemStore();
    const consumer = new Consumer(consumerOptions({ topic: "orders", processingTimeout: 0 }))
      .bindSlots(store, store)
      .setProcessor(() => new Promise((resolve) => setTimeout(resolve, 40)));
    await consumer.start();
    await store.publish("orders", bytes("slow"));
    await consumer.once("processed");
    await consumer.stop();
    expect(consumer.health().counters.timedOut).toBe(0);
  });
});
