import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { bytes, consumerOptions, publishNumbered, text, waitFor } from "../test/helpers.js";
import { Consumer } from "./consumer.js";
import { PermanentError } from "./errors.js";
import type { ConsumerEventMap } from "./events.js";
import type { Middleware } from "./middleware.js";

/** A middleware that records when it is entered and left, under `label`. */
function tracing(label: string, trace: string[]): Middleware {
  return (next) => async (delivery) => {
    trace.push(`${label}>${delivery.attempt}`);
    try {
      await next(delivery);
    } finally {
      trace.push(`${label}<`);
    }
  };
}

describe("the delivery pipeline", () => {
  it("runs middleware in the documented order: delivery stage around the retries, attempt stage inside", async () => {
    const store = new MemStore();
    const trace: string[] = [];
    let calls = 0;
    const consumer = new Consumer(consumerOptions({ topic: "orders", maxRetries: 1 }))
      .bindSlots({ source: store, state: store, deadLetter: store })
      .use(tracing("outer", trace))
      .use(tracing("inner", trace))
      .use(tracing("attempt", trace), "attempt")
      .setProcessor(() => {
        trace.push("processor");
        if (++calls === 1) throw new Error("first attempt fails");
      });
    await consumer.start();
    await store.publish("orders", bytes("x"));
    await consumer.once("processed");
    await consumer.stop();
    expect(trace).toEqual([
      "outer>1",
      "inner>1",
      "attempt>1",
      "processor",
      "attempt<",
      "attempt>2",
      "processor",
      "attempt<",
      "inner<",
      "outer<",
    ]);
  });

  it("emits one event per outcome, and counts them in health()", async () => {
    const store = new MemStore();
    const events: Array<[keyof ConsumerEventMap, string]> = [];
    const consumer = new Consumer(
      consumerOptions({
        topic: "orders",
        maxRetries: 1,
        filter: { metadata: { kind: ["good", "bad", "poison"] } },
      }),
    )
      .bindSlots(store, store, store)
      .setProcessor((message, { attempt }) => {
        const body = text(message.payload);
        if (body === "poison") throw new PermanentError("poison");
        if (body === "bad" && attempt === 1) throw new Error("once");
      });
    for (const name of [
      "processed",
      "failed",
      "retrying",
      "deadLettered",
      "filtered",
      "committed",
    ] as const) {
      consumer.on(name, (event) => {
        const subject =
          "messages" in event
            ? event.messages.map((m) => text(m.payload)).join(",")
            : "message" in event
              ? text(event.message.payload)
              : "";
        events.push([name, subject]);
      });
    }
    await consumer.start();
    for (const [body, kind] of [
      ["good", "good"],
      ["bad", "bad"],
      ["poison", "poison"],
      ["skipped", "other"],
    ]) {
      await store.publish("orders", bytes(body as string), { kind: kind as string });
    }
    await consumer.once("filtered");
    await consumer.stop();
    expect(events.filter(([name]) => name !== "committed")).toEqual([
      ["processed", "good"],
      ["failed", "bad"],
      ["retrying", "bad"],
      ["processed", "bad"],
      ["failed", "poison"],
      ["deadLettered", "poison"],
      ["filtered", "skipped"],
    ]);
    expect(events.filter(([name]) => name === "committed")).toHaveLength(1);
    expect(consumer.health().counters).toMatchObject({
      received: 4,
      processed: 2,
      failures: 2,
      retries: 1,
      deadLettered: 1,
      filtered: 1,
      commits: 1,
    });
  });

  it("runs middleware for batches too: one delivery per batch", async () => {
    const store = new MemStore();
    const sizes: number[] = [];
    const consumer = new Consumer(consumerOptions({ topic: "orders", batchSize: 5, batchMaxWait: "20ms" }))
      .bindSlots(store, store)
      .use((next) => (delivery) => {
        sizes.push(delivery.messages.length);
        return next(delivery);
      })
      .setBatchProcessor(() => {});
    await consumer.start();
    await publishNumbered((payload) => store.publish("orders", payload), 12);
    await waitFor(() => consumer.health().counters.processed === 12, "12 processed");
    await consumer.stop();
    expect(sizes).toEqual([5, 5, 2]);
  });

  it("settles what a middleware leaves out of the delivery as done, without processing it", async () => {
    const store = new MemStore();
    const processed: string[] = [];
    const consumer = new Consumer(consumerOptions({ topic: "orders", batchSize: 4, batchMaxWait: "20ms" }))
      .bindSlots(store, store)
      .use(
        (next) => (delivery) =>
          next({ ...delivery, messages: delivery.messages.filter((m) => Number(text(m.payload)) % 2 === 0) }),
      )
      .setBatchProcessor((messages) => {
        processed.push(...messages.map((m) => text(m.payload)));
      });
    await consumer.start();
    await publishNumbered((payload) => store.publish("orders", payload), 4);
    await waitFor(() => consumer.health().counters.processed === 2, "the even ones");
    const state = await consumer.commit();
    await consumer.stop();
    expect(processed).toEqual(["0", "2"]);
    expect(state.offsets).toEqual({ "0": 4 });
  });

  it("binds slots by name as well as by position", async () => {
    const store = new MemStore();
    const consumer = new Consumer(consumerOptions({ topic: "orders" }))
      .bindSlots({ source: store, state: store }, { sourceInterface: "queue" })
      .setProcessor(() => {});
    await consumer.start();
    await store.enqueue("orders", bytes("q"));
    await consumer.once("processed");
    await consumer.stop();
    expect(store.queueSize("orders")).toBe(0);
  });
});
