import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { consumerOptions, publishNumbered, text, waitFor } from "../test/helpers.js";
import { Consumer } from "./consumer.js";
import { DeadLetterKey } from "./dead-letter.js";
import { PrismErrorCode } from "./errors.js";
import type { PubSubInterface, QueueInterface } from "./interfaces.js";
import type { Message } from "./message.js";

const topic = "orders.created";
const dlqTopic = "orders.created.dlq";
const reason = 'header "trace" has a value that is not UTF-8 text';

/** What a driver hands over for a record it could not convert: the marked message of `n` = 2. */
function convert(message: Message): Message {
  return message.metadata.n === "2" ? { ...message, conversionError: reason } : message;
}

async function* converted(messages: AsyncIterable<Message>): AsyncGenerator<Message> {
  for await (const message of messages) yield convert(message);
}

/** MemStore's pub/sub, with the record "2" arriving as one its driver could not convert. */
function pubSubSource(store: MemStore): PubSubInterface {
  return {
    publish: (t, payload, metadata) => store.publish(t, payload, metadata),
    subscribe: async (t, id, options) => converted(await store.subscribe(t, id, options)),
    unsubscribe: (t, id) => store.unsubscribe(t, id),
  };
}

/** The same for MemStore's queue. */
function queueSource(store: MemStore): QueueInterface {
  return {
    enqueue: (q, payload, metadata) => store.enqueue(q, payload, metadata),
    receive: async (q, options) => converted(await store.receive(q, options)),
    acknowledge: (message) => store.acknowledge(message),
    reject: (message, requeue) => store.reject(message, requeue),
  };
}

async function deadLetters(store: MemStore, count: number): Promise<Message[]> {
  const received: Message[] = [];
  const abort = new AbortController();
  for await (const message of await store.receive(dlqTopic, { signal: abort.signal })) {
    received.push(message);
    await store.acknowledge(message);
    if (received.length === count) abort.abort();
  }
  return received;
}

describe("a record the driver could not convert", () => {
  it("goes to the dead-letter queue with the reason, unprocessed, and the partition moves on", async () => {
    const store = new MemStore();
    const processed: string[] = [];
    const consumer = new Consumer(consumerOptions())
      .bindSlots(pubSubSource(store), store, store)
      .setProcessor((message) => {
        processed.push(text(message.payload));
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 5);
    await consumer.start();
    await waitFor(() => consumer.health().counters.deadLettered === 1, "the dead letter");
    await waitFor(() => consumer.health().counters.processed === 4, "the 4 others");
    const state = await consumer.commit();
    await consumer.stop();
    expect(processed).toEqual(["0", "1", "3", "4"]);
    expect(state.offsets).toEqual({ "0": 5 }); // past the last of the 5: nothing is left behind
    const [dead] = await deadLetters(store, 1);
    expect(text(dead?.payload ?? new Uint8Array())).toBe("2");
    expect(dead?.metadata).toMatchObject({
      n: "2",
      [DeadLetterKey.OriginalId]: "3", // memstore numbers messages from 1
      [DeadLetterKey.Error]: `message 3 on "${topic}" could not be converted: ${reason}`,
      [DeadLetterKey.Attempts]: "0",
    });
    const { counters, lastError } = consumer.health();
    // Never attempted: not a failed attempt, but the reason is the last error.
    expect(counters).toMatchObject({ received: 5, processed: 4, failures: 0, retries: 0, deadLettered: 1 });
    expect(lastError?.message).toContain(reason);
  });

  it("stops the consumer loudly, naming the reason, where on_exhausted is stop (no DLQ)", async () => {
    const store = new MemStore();
    const processed: string[] = [];
    const consumer = new Consumer(consumerOptions())
      .bindSlots(pubSubSource(store), store)
      .setProcessor((message) => {
        processed.push(text(message.payload));
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 4);
    await consumer.start();
    const failure = await consumer.closed();
    expect(processed).toEqual(["0", "1"]);
    expect(consumer.health().status).toBe("failed");
    expect(failure).toMatchObject({ code: PrismErrorCode.DeliveryFailed });
    expect(failure?.message).toContain(reason);
  });

  it("never joins a batch: the batches around it are processed, it is dead-lettered alone", async () => {
    const store = new MemStore();
    const batches: string[][] = [];
    const consumer = new Consumer(consumerOptions({ batchSize: 3, batchMaxWait: "20ms" }))
      .bindSlots(pubSubSource(store), store, store)
      .setBatchProcessor((messages) => {
        batches.push(messages.map((m) => text(m.payload)));
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 7);
    await consumer.start();
    await waitFor(() => consumer.health().counters.processed === 6, "the 6 others");
    await consumer.stop();
    expect(batches.flat()).toEqual(["0", "1", "3", "4", "5", "6"]);
    expect(batches[0]).toEqual(["0", "1"]);
    expect(consumer.health().counters.deadLettered).toBe(1);
    expect((await deadLetters(store, 1)).map((m) => m.metadata.n)).toEqual(["2"]);
  });

  it("from a queue with concurrency: dead-lettered and acknowledged, never processed", async () => {
    const store = new MemStore();
    const processed: string[] = [];
    const consumer = new Consumer(consumerOptions({ concurrency: 4 }))
      .bindSlots(queueSource(store), store, store, { sourceInterface: "queue" })
      .setProcessor((message) => {
        processed.push(text(message.payload));
      });
    await publishNumbered((p, m) => store.enqueue(topic, p, m), 6);
    await consumer.start();
    await waitFor(() => consumer.health().counters.processed === 5, "the 5 others");
    await waitFor(() => consumer.health().counters.deadLettered === 1, "the dead letter");
    await consumer.stop();
    expect(processed.sort()).toEqual(["0", "1", "3", "4", "5"]);
    expect(store.queueSize(topic)).toBe(0);
  });
});
