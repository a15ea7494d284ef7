import { MemStore } from "@prism/driver-memstore";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { bytes, consumerOptions } from "../test/helpers.js";
import { Consumer } from "./consumer.js";
import { DeadLetterKey } from "./dead-letter.js";
import type { Message } from "./message.js";

const Order = z.object({ id: z.string(), amount: z.number().positive() });

async function firstDeadLetter(store: MemStore, queue: string): Promise<Message | undefined> {
  for await (const message of await store.receive(queue)) return message;
  return undefined;
}

describe("typed payloads", () => {
  it("decodes JSON and validates with a Standard Schema (zod): data is typed; invalid ones are dead-lettered with the issues", async () => {
    const store = new MemStore();
    const amounts: number[] = [];
    const consumer = new Consumer({ ...consumerOptions({ topic: "orders" }), payload: { schema: Order } })
      .bindSlots(store, store, store)
      .setProcessor((message) => {
        expectTypeOf(message.data).toEqualTypeOf<{ id: string; amount: number }>();
        amounts.push(message.data.amount);
      });
    await consumer.start();
    await store.publish("orders", bytes(JSON.stringify({ id: "o1", amount: 5 })));
    await store.publish("orders", bytes(JSON.stringify({ id: "o2", amount: -1 })));
    await store.publish("orders", bytes("{not json"));
    await store.publish("orders", bytes(JSON.stringify({ id: "o4", amount: 7 })));
    await consumer.once("processed", (e) => e.messages[0]?.id === "4");
    await consumer.stop();
    expect(amounts).toEqual([5, 7]);
    expect(consumer.health().counters).toMatchObject({ deadLettered: 2, failures: 0, retries: 0 });
    const invalid = await firstDeadLetter(store, "orders.dlq");
    expect(invalid?.metadata[DeadLetterKey.Error]).toMatch(/^payload failed validation: .* at amount$/);
    expect(invalid?.metadata[DeadLetterKey.Attempts]).toBe("1");
    expect(JSON.parse(invalid?.metadata[DeadLetterKey.ValidationIssues] as string)).toEqual([
      { message: expect.any(String), path: ["amount"] },
    ]);
    const malformed = await firstDeadLetter(store, "orders.dlq");
    expect(malformed?.metadata[DeadLetterKey.Error]).toMatch(/^payload could not be decoded: /);
  });

  it("dead-letters the invalid message of a batch alone; the rest of the batch is processed", async () => {
    const store = new MemStore();
    const batches: number[][] = [];
    const consumer = new Consumer({
      ...consumerOptions({ topic: "orders", batchSize: 3, batchMaxWait: "20ms" }),
      payload: { schema: Order },
    })
      .bindSlots(store, store, store)
      .setBatchProcessor((messages) => void batches.push(messages.map((m) => m.data.amount)));
    await consumer.start();
    for (const amount of [1, -2, 3]) {
      await store.publish("orders", bytes(JSON.stringify({ id: `o${amount}`, amount })));
    }
    await consumer.once("processed");
    await consumer.stop();
    expect(batches).toEqual([[1, 3]]);
    expect(consumer.health().counters.deadLettered).toBe(1);
  });

  it("decodes text (payload_format in YAML terms) without a schema", async () => {
    const store = new MemStore();
    const texts: string[] = [];
    const consumer = new Consumer(consumerOptions({ topic: "orders", payloadFormat: "text" }))
      .bindSlots(store, store)
      .setProcessor((message) => void texts.push((message as Message & { data: string }).data));
    await consumer.start();
    await store.publish("orders", bytes("héllo"));
    await consumer.once("processed");
    await consumer.stop();
    expect(texts).toEqual(["héllo"]);
  });
});
