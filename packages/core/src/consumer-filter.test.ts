import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { bytes, consumerOptions, text } from "../test/helpers.js";
import { parseConfigYaml } from "./config-yaml.js";
import { Consumer } from "./consumer.js";
import { createConsumer } from "./drivers.js";

describe("filtering", () => {
  it("acknowledges, checkpoints and counts what the YAML filter rejects; only matches reach the processor", async () => {
    const store = new MemStore();
    const config = parseConfigYaml(`
name: "order-processor"
slots:
  message_source: { driver: "memstore" }
  state_store: { driver: "memstore" }
  dead_letter_queue: { driver: "memstore" }
behavior:
  consumer_group: "order-processor-group"
  topic: "orders"
  filter:
    metadata: { type: "order.created", region: ["eu", "us"] }
`);
    const consumer = await createConsumer(config, { drivers: { memstore: () => store } });
    const processed: string[] = [];
    consumer.setProcessor((message) => void processed.push(text(message.payload)));
    const lastFiltered = consumer.once("filtered", (e) => text(e.message.payload) === "e");
    await consumer.start();
    await store.publish("orders", bytes("a"), { type: "order.created", region: "eu" });
    await store.publish("orders", bytes("b"), { type: "order.cancelled", region: "eu" });
    await store.publish("orders", bytes("c"), { type: "order.created", region: "apac" });
    await store.publish("orders", bytes("d"), { type: "order.created", region: "us" });
    await store.publish("orders", bytes("e"));
    await lastFiltered;
    const state = await consumer.commit();
    await consumer.stop();
    expect(processed).toEqual(["a", "d"]);
    expect(consumer.health().counters).toMatchObject({ filtered: 3, processed: 2, deadLettered: 0 });
    expect(state.offsets).toEqual({ "0": 5 });
  });

  it("takes a predicate in code, together with a topic pattern", async () => {
    const store = new MemStore();
    const processed: string[] = [];
    const consumer = new Consumer({
      ...consumerOptions({ topic: "orders", filter: { topic: "ord*" } }),
      filter: (message) => text(message.payload).startsWith("keep"),
    })
      .bindSlots(store, store)
      .setProcessor((message) => void processed.push(text(message.payload)));
    const last = consumer.once("processed", (e) => text(e.messages[0]?.payload as Uint8Array) === "keep 2");
    await consumer.start();
    for (const body of ["keep 1", "drop", "keep 2"]) await store.publish("orders", bytes(body));
    await last;
    await consumer.stop();
    expect(processed).toEqual(["keep 1", "keep 2"]);
    expect(consumer.health().counters.filtered).toBe(1);
  });

  it("rejects a filter whose metadata values are not strings, at load, by path", () => {
    expect(() =>
      parseConfigYaml(`
name: n
slots: { message_source: { driver: m }, state_store: { driver: m } }
behavior: { consumer_group: g, topic: t, filter: { metadata: { type: 3 } } }
`),
    ).toThrow("behavior.filter.metadata: type: expected a string or a list of strings, got 3");
  });
});
