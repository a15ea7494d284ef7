import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { consumerOptions, deferred, publishNumbered, text, waitFor } from "../test/helpers.js";
import { Consumer } from "./consumer.js";
import { DeadLetterKey } from "./dead-letter.js";
import { PermanentError, PrismErrorCode } from "./errors.js";
import type { Message } from "./message.js";

const topic = "orders.created";
const dlqTopic = "orders.created.dlq";

/** Receives every dead-lettered message from the store's DLQ queue. */
async function drainDlq(store: MemStore, count: number): Promise<Message[]> {
  const received: Message[] = [];
  const abort = new AbortController();
  for await (const message of await store.receive(dlqTopic, { signal: abort.signal })) {
    received.push(message);
    await store.acknowledge(message);
    if (received.length === count) abort.abort();
  }
  return received;
}

describe("per-message retries", () => {
  it("counts attempts per message, not per consumer, and shows each attempt to the processor", async () => {
    const store = new MemStore();
    // "0" fails twice, "1" once, "2" never: with a consumer-wide counter "2" would look like a retry.
    const failuresWanted: Record<string, number> = { "0": 2, "1": 1, "2": 0 };
    const seen: string[] = [];
    const consumer = new Consumer(consumerOptions({ maxRetries: 2 }))
      .bindSlots(store, store, store)
      .setProcessor((message, context) => {
        const payload = text(message.payload);
        seen.push(`${payload}#${context.attempt}/${context.maxAttempts}`);
        if (context.attempt <= (failuresWanted[payload] ?? 0)) throw new Error(`transient ${payload}`);
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 3);
    await consumer.start();
    await waitFor(() => consumer.health().counters.processed === 3, "3 processed");
    await consumer.stop();
    expect(seen).toEqual(["0#1/3", "0#2/3", "0#3/3", "1#1/3", "1#2/3", "2#1/3"]);
    const { counters } = consumer.health();
    expect(counters).toMatchObject({ received: 3, processed: 3, failures: 3, retries: 3, deadLettered: 0 });
    expect(store.queueSize(dlqTopic)).toBe(0);
  });

  it("dead-letters after the last attempt with the failure metadata, and goes on", async () => {
    const store = new MemStore();
    const consumer = new Consumer(consumerOptions({ maxRetries: 2 }))
      .bindSlots(store, store, store)
      .setProcessor((message) => {
        if (text(message.payload) === "1") throw new Error("inventory service said no\nsecond line");
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 3);
    const before = Date.now();
    await consumer.start();
    await waitFor(() => consumer.health().counters.processed === 2, "2 processed");
    await waitFor(() => consumer.health().counters.deadLettered === 1, "1 dead-lettered");
    await consumer.stop();

    const [dead] = await drainDlq(store, 1);
    expect(text(dead?.payload ?? new Uint8Array())).toBe("1");
    const metadata = dead?.metadata ?? {};
    expect(metadata).toMatchObject({
      n: "1",
      [DeadLetterKey.OriginalTopic]: topic,
      [DeadLetterKey.OriginalId]: "2",
      [DeadLetterKey.Error]: "inventory service said no second line",
      [DeadLetterKey.Attempts]: "3",
      [DeadLetterKey.ConsumerName]: "order-processor",
      [DeadLetterKey.ConsumerGroup]: "group-a",
    });
    const first = Number(metadata[DeadLetterKey.FirstFailureAt]);
    const last = Number(metadata[DeadLetterKey.LastFailureAt]);
    expect(first).toBeGreaterThanOrEqual(before);
    expect(last).toBeGreaterThan(first);
    expect(consumer.health().checkpoint.offsets).toEqual({ "0": 3 });
  });

  it("skips the remaining attempts for a PermanentError (e.g. a malformed payload)", async () => {
    const store = new MemStore();
    let calls = 0;
    const consumer = new Consumer(consumerOptions({ maxRetries: 5 }))
      .bindSlots(store, store, store)
      .setProcessor((message) => {
        calls++;
        JSON.parse(text(message.payload));
      });
    await store.publish(topic, new TextEncoder().encode("{not json"));
    await consumer.start();
    await waitFor(() => consumer.health().counters.deadLettered === 1, "dead-lettered");
    await consumer.stop();
    expect(calls).toBe(6);

    const permanent = new Consumer(consumerOptions({ maxRetries: 5, consumerGroup: "group-b" }, "strict"))
      .bindSlots(store, store, store)
      .setProcessor((message) => {
        calls++;
        try {
          JSON.parse(text(message.payload));
        } catch (error) {
          throw new PermanentError("malformed order", { cause: error });
        }
      });
    calls = 0;
    await permanent.start();
    await waitFor(() => permanent.health().counters.deadLettered === 1, "dead-lettered");
    await permanent.stop();
    expect(calls).toBe(1);
    const dead = await drainDlq(store, 2);
    expect(dead.map((m) => [m.metadata[DeadLetterKey.Error], m.metadata[DeadLetterKey.Attempts]])).toEqual([
      [expect.stringMatching(/JSON/), "6"],
      ["malformed order", "1"],
    ]);
  });

  it("without a DLQ stops by default, checkpointing nothing past the failed message", async () => {
    const store = new MemStore();
    const consumer = new Consumer(consumerOptions({ maxRetries: 1 }))
      .bindSlots(store, store)
      .setProcessor((message) => {
        if (text(message.payload) === "2") throw new Error("boom");
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 5);
    await consumer.start();
    const failure = await consumer.closed();
    expect(failure).toMatchObject({ code: PrismErrorCode.DeliveryFailed });
    expect(failure?.message).toMatch(/message 3 on "orders.created" failed 2 attempt\(s\): boom/);
    const health = consumer.health();
    expect(health.status).toBe("failed");
    expect(health.lastError?.message).toMatch(/on_exhausted: stop/);
    expect(health.checkpoint.offsets).toEqual({ "0": 2 });
    const stored = JSON.parse(text((await store.get(consumer.stateKey)) ?? new Uint8Array()));
    expect(stored.offsets).toEqual({ "0": 2 });
  });

  it("drops explicitly when told to (on_exhausted: drop), counting and logging it", async () => {
    const store = new MemStore();
    const options = consumerOptions({ maxRetries: 0, onExhausted: "drop" });
    const consumer = new Consumer(options).bindSlots(store, store).setProcessor((message) => {
      if (text(message.payload) === "0") throw new Error("bad");
    });
    await publishNumbered((p, m) => store.publish(topic, p, m), 2);
    await consumer.start();
    await waitFor(() => consumer.health().counters.processed === 1, "processed");
    await consumer.stop();
    expect(consumer.health().counters).toMatchObject({ dropped: 1, processed: 1 });
    const logger = options.logger as unknown as { lines: Array<{ level: string; message: string }> };
    expect(logger.lines.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      "dropped a message that failed every attempt (on_exhausted: drop)",
    ]);
  });

  it("fails the consumer when the DLQ itself keeps failing, leaving the message unfinished", async () => {
    const store = new MemStore();
    const brokenDlq = {
      enqueue: async () => {
        throw new Error("dlq unreachable");
      },
      receive: store.receive.bind(store),
      acknowledge: store.acknowledge.bind(store),
      reject: store.reject.bind(store),
    };
    const consumer = new Consumer(consumerOptions({ maxRetries: 1 }))
      .bindSlots(store, store, brokenDlq)
      .setProcessor(() => {
        throw new Error("always");
      });
    await store.publish(topic, new Uint8Array([1]));
    await consumer.start();
    const failure = await consumer.closed();
    expect(failure?.message).toMatch(/could not be dead-lettered to "orders.created.dlq": dlq unreachable/);
    expect(consumer.health().checkpoint.offsets).toEqual({});
    const stored = JSON.parse(text((await store.get(consumer.stateKey)) ?? new Uint8Array()));
    expect(stored).toMatchObject({ offset: null, offsets: {}, last_message_id: null, retry_count: 1 });
  });

  it("waits the backoff between attempts (exponential)", async () => {
    const store = new MemStore();
    const times: number[] = [];
    const done = deferred();
    const consumer = new Consumer(
      consumerOptions({ maxRetries: 3, retryBackoff: { initial: "20ms", multiplier: 2, jitter: 0 } }),
    )
      .bindSlots(store, store, store)
      .setProcessor((_, context) => {
        times.push(performance.now());
        if (context.attempt < 4) throw new Error("again");
        done.resolve();
      });
    await store.publish(topic, new Uint8Array([1]));
    await consumer.start();
    await done.promise;
    await consumer.stop();
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(79);
  });
});
