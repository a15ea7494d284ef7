import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { consumerOptions, publishNumbered, text, waitFor } from "../test/helpers.js";
import { Consumer } from "./consumer.js";
import { DeadLetterKey } from "./dead-letter.js";
import type { Message } from "./message.js";

const topic = "orders.created";

describe("batch mode", () => {
  it("hands the processor batches of up to batchSize, in order", async () => {
    const store = new MemStore();
    const batches: string[][] = [];
    const consumer = new Consumer(consumerOptions({ batchSize: 4, batchMaxWait: "100ms" }))
      .bindSlots(store, store)
      .setBatchProcessor((messages) => {
        batches.push(messages.map((m) => text(m.payload)));
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 10);
    await consumer.start();
    await waitFor(() => consumer.health().counters.processed === 8, "two full batches");
    // The last two wait up to batchMaxWait for company, then go as a partial batch.
    await waitFor(() => consumer.health().counters.processed === 10, "the partial batch");
    await consumer.stop();
    expect(batches).toEqual([
      ["0", "1", "2", "3"],
      ["4", "5", "6", "7"],
      ["8", "9"],
    ]);
    expect(JSON.parse(text((await store.get(consumer.stateKey)) as Uint8Array)).offsets).toEqual({ "0": 10 });
  });

  it("flushes a partial batch after batchMaxWait so a slow stream still flows", async () => {
    const store = new MemStore();
    const batches: Array<{ size: number; at: number }> = [];
    const consumer = new Consumer(consumerOptions({ batchSize: 100, batchMaxWait: "30ms" }))
      .bindSlots(store, store)
      .setBatchProcessor((messages) => {
        batches.push({ size: messages.length, at: Date.now() });
      });
    await consumer.start();
    const sentAt = Date.now();
    await publishNumbered((p, m) => store.publish(topic, p, m), 3);
    await waitFor(() => batches.length === 1, "a batch");
    await consumer.stop();
    expect(batches[0]?.size).toBe(3);
    expect((batches[0]?.at ?? 0) - sentAt).toBeGreaterThanOrEqual(25);
  });

  it("with concurrency 1 never runs two batches at once, also when one left early on its timer", async () => {
    const store = new MemStore();
    const batches: string[][] = [];
    let running = 0;
    let mostAtOnce = 0;
    const consumer = new Consumer(consumerOptions({ batchSize: 4, batchMaxWait: "10ms" }))
      .bindSlots(store, store)
      .setBatchProcessor(async (messages) => {
        mostAtOnce = Math.max(mostAtOnce, ++running);
        await new Promise((resolve) => setTimeout(resolve, 40));
        batches.push(messages.map((m) => text(m.payload)));
        running--;
      });
    await consumer.start();
    await publishNumbered((p, m) => store.publish(topic, p, m), 2);
    // The first batch leaves on its timer with 2 messages; 6 more arrive while it is processed.
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let n = 2; n < 8; n++) await store.publish(topic, new TextEncoder().encode(String(n)), {});
    await waitFor(() => consumer.health().counters.processed === 8, "every message");
    await consumer.stop();
    expect(mostAtOnce).toBe(1);
    expect(batches.flat()).toEqual(["0", "1", "2", "3", "4", "5", "6", "7"]);
    expect(batches[0]).toEqual(["0", "1"]);
  });

  it("retries a failed batch whole, then dead-letters each of its messages with the batch's error", async () => {
    const store = new MemStore();
    const attempts: Array<{ attempt: number; ids: string[] }> = [];
    const consumer = new Consumer(consumerOptions({ batchSize: 3, batchMaxWait: "200ms", maxRetries: 2 }))
      .bindSlots(store, store, store)
      .setBatchProcessor((messages, context) => {
        attempts.push({ attempt: context.attempt, ids: messages.map((m) => text(m.payload)) });
        if (messages.some((m) => text(m.payload) === "4")) throw new Error("batch contains a poison order");
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 6);
    await consumer.start();
    await waitFor(() => consumer.health().counters.deadLettered === 3, "the bad batch dead-lettered");
    await consumer.stop();
    expect(attempts).toEqual([
      { attempt: 1, ids: ["0", "1", "2"] },
      { attempt: 1, ids: ["3", "4", "5"] },
      { attempt: 2, ids: ["3", "4", "5"] },
      { attempt: 3, ids: ["3", "4", "5"] },
    ]);
    const dead: Message[] = [];
    const abort = new AbortController();
    for await (const message of await store.receive(`${topic}.dlq`, { signal: abort.signal })) {
      dead.push(message);
      if (dead.length === 3) abort.abort();
    }
    expect(
      dead.map((m) => [text(m.payload), m.metadata[DeadLetterKey.Error], m.metadata[DeadLetterKey.Attempts]]),
    ).toEqual([
      ["3", "batch contains a poison order", "3"],
      ["4", "batch contains a poison order", "3"],
      ["5", "batch contains a poison order", "3"],
    ]);
    expect(consumer.health().counters).toMatchObject({ processed: 3, deadLettered: 3, retries: 2 });
  });
});
