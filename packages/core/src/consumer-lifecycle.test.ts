import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { consumerOptions, deferred, publishNumbered, text, waitFor } from "../test/helpers.js";
import { Consumer } from "./consumer.js";
import { ConfigError, isPrismError, PrismErrorCode } from "./errors.js";
import type { KeyValueBasicInterface, PubSubInterface } from "./interfaces.js";
import type { Message } from "./message.js";

const topic = "orders.created";

describe("lifecycle", () => {
  it("refuses to start without slots or a processor, and reports health before start", async () => {
    const store = new MemStore();
    const consumer = new Consumer(consumerOptions());
    expect(consumer.health()).toMatchObject({ status: "idle", inFlight: 0, lastError: undefined });
    await expect(consumer.start()).rejects.toThrow("call bindSlots() first");
    consumer.bindSlots(store, store);
    await expect(consumer.start()).rejects.toMatchObject({
      code: PrismErrorCode.Lifecycle,
      message: "call setProcessor() before start()",
    });
    const batching = new Consumer(consumerOptions({ batchSize: 5 }))
      .bindSlots(store, store)
      .setProcessor(() => {});
    await expect(batching.start()).rejects.toThrow(
      "batch_size is 5: call setBatchProcessor() before start()",
    );
    const deadLetterWithoutDlq = new Consumer(consumerOptions({ onExhausted: "dead-letter" }))
      .bindSlots(store, store)
      .setProcessor(() => {});
    await expect(deadLetterWithoutDlq.start()).rejects.toBeInstanceOf(ConfigError);
  });

  it("rejects an invalid behavior at construction, listing every problem", () => {
    expect(
      () => new Consumer({ name: "c", behavior: { consumerGroup: "", topic: "t", maxRetries: -1 } }),
    ).toThrow(
      'invalid consumer configuration:\n  behavior.consumerGroup: expected a non-empty string, got ""\n' +
        "  behavior.maxRetries: expected an integer from 0 to 100, got -1",
    );
  });

  it("goes idle → running → draining → stopped, and can start again", async () => {
    const store = new MemStore();
    const inside = deferred();
    const release = deferred();
    const consumer = new Consumer(consumerOptions()).bindSlots(store, store).setProcessor(async () => {
      inside.resolve();
      await release.promise;
    });
    await consumer.start();
    expect(consumer.health().status).toBe("running");
    await expect(consumer.start()).rejects.toThrow("start() is not allowed while the consumer is running");
    await store.publish(topic, new Uint8Array([1]));
    await inside.promise;
    const stopping = consumer.stop();
    expect(consumer.health().status).toBe("draining");
    release.resolve();
    await stopping;
    expect(consumer.health()).toMatchObject({ status: "stopped", inFlight: 0 });
    expect(await consumer.closed()).toBeUndefined();
    await consumer.start();
    expect(consumer.health().status).toBe("running");
    await consumer.stop();
  });

  it("on stop lets in-flight work finish within the timeout and commits it", async () => {
    const store = new MemStore();
    const started = deferred();
    let finished = 0;
    const consumer = new Consumer(consumerOptions({ concurrency: 3 }))
      .bindSlots(store, store)
      .setProcessor(async () => {
        started.resolve();
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished++;
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 3);
    await consumer.start();
    await started.promise;
    await consumer.stop({ timeout: "2s" });
    expect(finished).toBe(3);
    expect(consumer.health().counters).toMatchObject({ processed: 3, abandoned: 0 });
    expect(JSON.parse(text((await store.get(consumer.stateKey)) as Uint8Array)).offsets).toEqual({ "0": 3 });
  });

  it("aborts in-flight work at the timeout through the signal; it is not committed and comes back", async () => {
    const store = new MemStore();
    const signals: AbortSignal[] = [];
    const consumer = new Consumer(consumerOptions({ concurrency: 2 }))
      .bindSlots(store, store, undefined, { sourceInterface: "queue" })
      .setProcessor(async (message, context) => {
        if (text(message.payload) === "0") return;
        signals.push(context.signal);
        await new Promise((_, reject) =>
          context.signal.addEventListener("abort", () => reject(new Error("aborted"))),
        );
      });
    await publishNumbered((p, m) => store.enqueue(topic, p, m), 2);
    await consumer.start();
    await waitFor(() => signals.length === 1, "the slow message to start");
    const before = Date.now();
    await consumer.stop({ timeout: "50ms" });
    expect(Date.now() - before).toBeGreaterThanOrEqual(45);
    expect(signals[0]?.aborted).toBe(true);
    expect(consumer.health().counters).toMatchObject({ processed: 1, abandoned: 1 });
    // Rejected with requeue: the queue delivers it again, as its second delivery.
    const again: Message[] = [];
    const abort = new AbortController();
    for await (const message of await store.receive(topic, { signal: abort.signal })) {
      again.push(message);
      abort.abort();
    }
    expect(again.map((m) => [text(m.payload), m.deliveryAttempt])).toEqual([["1", 2]]);
  });

  it("with a queue source acknowledges after success and after dead-lettering", async () => {
    const store = new MemStore();
    const consumer = new Consumer(consumerOptions({ maxRetries: 0 }))
      .bindSlots(store, store, store, { sourceInterface: "queue" })
      .setProcessor((message) => {
        if (text(message.payload) === "1") throw new Error("no");
      });
    await publishNumbered((p, m) => store.enqueue(topic, p, m), 3);
    await consumer.start();
    await waitFor(() => consumer.health().counters.processed === 2, "2 processed");
    await waitFor(() => store.queueSize(topic) === 0, "the queue to be empty (all acknowledged)");
    await consumer.stop();
    expect(store.queueSize(`${topic}.dlq`)).toBe(1);
    expect(consumer.health().counters.acknowledgeErrors).toBe(0);
  });

  it("keeps the number taken from the source bounded when the processor is slow (backpressure)", async () => {
    const store = new MemStore({ capacity: 20 });
    let maxInFlight = 0;
    let processed = 0;
    const consumer = new Consumer(consumerOptions({ concurrency: 4 }))
      .bindSlots(store, store)
      .setProcessor(async () => {
        maxInFlight = Math.max(maxInFlight, consumer.health().inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        processed++;
      });
    await consumer.start();
    let published = 0;
    const publisher = (async () => {
      for (let i = 0; i < 200; i++) {
        await store.publish(topic, new Uint8Array([i]));
        published++;
      }
    })();
    let maxLag = 0;
    while (processed < 200) {
      maxLag = Math.max(maxLag, store.topicStats(topic).lag);
      // The publisher waits for the consumer instead of racing ahead.
      expect(published - processed).toBeLessThanOrEqual(20 + 4 + 1);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await publisher;
    await consumer.stop();
    expect(maxInFlight).toBe(4);
    expect(maxLag).toBeLessThanOrEqual(20);
    expect(maxLag).toBeGreaterThan(10);
  });

  it("fails (and says so) when the source ends by itself", async () => {
    const store = new MemStore();
    const finite: PubSubInterface = {
      publish: async () => "x",
      unsubscribe: async () => {},
      subscribe: async () => (async function* () {})(),
    };
    const consumer = new Consumer(consumerOptions()).bindSlots(finite, store).setProcessor(() => {});
    await consumer.start();
    const failure = await consumer.closed();
    expect(isPrismError(failure) && failure.code).toBe(PrismErrorCode.SourceClosed);
    expect(consumer.health().status).toBe("failed");
  });

  it("fails to start when the state store is unreachable, consuming and committing nothing", async () => {
    const store = new MemStore();
    const down: KeyValueBasicInterface = {
      get: async () => {
        throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
      },
      set: async () => {
        throw new Error("unexpected write");
      },
      delete: async () => {},
      exists: async () => false,
    };
    let calls = 0;
    const consumer = new Consumer(consumerOptions()).bindSlots(store, down).setProcessor(() => {
      calls++;
    });
    await store.publish(topic, new Uint8Array([1]));
    await expect(consumer.start()).rejects.toThrow("ECONNREFUSED");
    expect(consumer.health()).toMatchObject({
      status: "failed",
      lastError: { message: expect.stringMatching(/ECONNREFUSED/) },
    });
    expect(calls).toBe(0);
    expect(store.topicStats(topic).lag).toBe(0);
  });

  it("reports a failing periodic commit in health without stopping", async () => {
    const store = new MemStore();
    let failing = true;
    const flaky: KeyValueBasicInterface = {
      get: (k) => store.get(k),
      exists: (k) => store.exists(k),
      delete: (k) => store.delete(k),
      set: async (k, v) => {
        if (failing) throw new Error("store busy");
        await store.set(k, v);
      },
    };
    const consumer = new Consumer(consumerOptions({ commitInterval: "10ms" }))
      .bindSlots(store, flaky)
      .setProcessor(() => {});
    await consumer.start();
    await store.publish(topic, new Uint8Array([1]));
    await waitFor(() => consumer.health().lastError?.message === "store busy", "the commit error");
    expect(consumer.health().status).toBe("running");
    failing = false;
    await waitFor(() => consumer.health().counters.commits === 1, "a commit after recovery");
    await consumer.stop();
  });
});

describe("driver health", () => {
  it("includes the connection state of drivers that report it", async () => {
    const store = new MemStore();
    const reporting = Object.assign(new MemStore(), {
      driverHealth: () => ({ connected: false, reconnects: 3, lastError: "connection refused" }),
    });
    const consumer = new Consumer(consumerOptions()).bindSlots(store, reporting);
    expect(consumer.health().drivers).toEqual({
      stateStore: { connected: false, reconnects: 3, lastError: "connection refused" },
    });
  });
});

describe("graceful stop and the source", () => {
  it("keeps the source open until in-flight work finished, so a queue can keep it leased", async () => {
    const store = new MemStore();
    const events: string[] = [];
    const queue = {
      enqueue: store.enqueue.bind(store),
      acknowledge: async (m: Message) => {
        events.push("ack");
        await store.acknowledge(m);
      },
      reject: store.reject.bind(store),
      receive: async (name: string, options: { signal?: AbortSignal } = {}) => {
        options.signal?.addEventListener("abort", () => events.push("source closed"));
        return store.receive(name, options);
      },
    };
    const started = deferred();
    const consumer = new Consumer(consumerOptions({ concurrency: 2 }))
      .bindSlots(queue, store)
      .setProcessor(async () => {
        started.resolve();
        await new Promise((resolve) => setTimeout(resolve, 50));
        events.push("processed");
      });
    await store.enqueue(topic, new Uint8Array([1]));
    await consumer.start();
    await started.promise;
    await consumer.stop();
    expect(events).toEqual(["processed", "ack", "source closed"]);
  });
});

describe("queue acknowledgements", () => {
  it("are pipelined: the next message is processed while an ack travels; the checkpoint waits for the ack", async () => {
    const store = new MemStore();
    const ackGate = deferred();
    const acked: string[] = [];
    const queue = {
      enqueue: store.enqueue.bind(store),
      receive: store.receive.bind(store),
      reject: store.reject.bind(store),
      acknowledge: async (m: Message) => {
        await ackGate.promise;
        acked.push(text(m.payload));
        await store.acknowledge(m);
      },
    };
    const processed: string[] = [];
    const consumer = new Consumer(consumerOptions({ autoCommit: false }))
      .bindSlots(queue, store)
      .setProcessor((m) => {
        processed.push(text(m.payload));
      });
    await publishNumbered((p, m) => store.enqueue(topic, p, m), 3);
    await consumer.start();
    await waitFor(() => processed.length === 3, "all three processed while the first ack is still pending");
    expect(acked).toEqual([]);
    expect((await consumer.commit()).offsets).toEqual({});
    ackGate.resolve();
    await waitFor(() => acked.length === 3, "the acks");
    expect((await consumer.commit()).offsets).toEqual({ "0": 3 });
    await consumer.stop();
  });
});
