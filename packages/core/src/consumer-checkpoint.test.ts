import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { consumerOptions, deferred, publishNumbered, text, waitFor } from "../test/helpers.js";
import { Consumer } from "./consumer.js";
import type { KeyValueBasicInterface } from "./interfaces.js";

const topic = "orders.created";

async function storedState(store: KeyValueBasicInterface, key: string) {
  const value = await store.get(key);
  return value === undefined ? undefined : JSON.parse(text(value));
}

describe("checkpoints", () => {
  it("stores the seed's state JSON under consumer:{group}:{topic}:{name}", async () => {
    const store = new MemStore();
    const consumer = new Consumer(consumerOptions()).bindSlots(store, store).setProcessor(() => {});
    await publishNumbered((p, m) => store.publish(topic, p, m), 5);
    await consumer.start();
    await waitFor(() => consumer.health().counters.processed === 5, "5 processed");
    await consumer.stop();
    expect(consumer.stateKey).toBe("consumer:group-a:orders.created:order-processor");
    const state = await storedState(store, "consumer:group-a:orders.created:order-processor");
    expect(state).toEqual({
      offset: 5,
      offsets: { "0": 5 },
      last_message_id: "5",
      last_updated: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      retry_count: 0,
    });
  });

  it("resumes after the checkpoint on restart, even when the backend's own cursor moved further", async () => {
    const store = new MemStore();
    const processed: string[] = [];
    const stopAt3 = deferred();
    const first = new Consumer(consumerOptions({ shutdownTimeout: "20ms" }))
      .bindSlots(store, store)
      .setProcessor(async (message, context) => {
        const n = text(message.payload);
        if (n === "3") {
          stopAt3.resolve();
          // Still working when stop() gives up: this message must not count as done.
          await new Promise((resolve) => context.signal.addEventListener("abort", resolve));
          throw new Error("aborted");
        }
        processed.push(n);
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 6);
    await first.start();
    await stopAt3.promise;
    await first.stop();
    expect(processed).toEqual(["0", "1", "2"]);
    expect(first.health().counters.abandoned).toBe(1);
    expect((await storedState(store, first.stateKey)).offsets).toEqual({ "0": 3 });
    // The group's cursor in the store is past "3" (and past what was taken after it, given back at the stop);
    // only the checkpoint knows "3" is unfinished.
    expect(store.topicStats(topic).lag).toBeLessThanOrEqual(2);

    const second = new Consumer(consumerOptions()).bindSlots(store, store).setProcessor((message) => {
      processed.push(text(message.payload));
    });
    await second.start();
    await waitFor(() => processed.length === 6, "all 6 processed");
    await second.stop();
    expect(processed).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect((await storedState(store, second.stateKey)).offsets).toEqual({ "0": 6 });
  });

  it("does not reprocess anything after a clean stop and restart", async () => {
    const store = new MemStore();
    const seen: string[] = [];
    const make = () =>
      new Consumer(consumerOptions()).bindSlots(store, store).setProcessor((m) => {
        seen.push(text(m.payload));
      });
    const first = make();
    await publishNumbered((p, m) => store.publish(topic, p, m), 3);
    await first.start();
    await waitFor(() => seen.length === 3, "3 processed");
    await first.stop();
    await publishNumbered((p, m) => store.publish(topic, p, m), 2, 3);
    const second = make();
    await second.start();
    await waitFor(() => seen.length === 5, "5 processed");
    await second.stop();
    expect(seen).toEqual(["0", "1", "2", "3", "4"]);
  });

  it("with concurrency > 1 never moves past an unfinished message", async () => {
    const store = new MemStore();
    const release = deferred();
    const consumer = new Consumer(consumerOptions({ concurrency: 4, autoCommit: false }))
      .bindSlots(store, store)
      .setProcessor(async (message) => {
        if (text(message.payload) === "1") await release.promise;
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 8);
    await consumer.start();
    await waitFor(() => consumer.health().counters.processed === 7, "all but message 2 processed");
    expect(consumer.health().inFlight).toBe(1);
    const held = await consumer.commit();
    expect(held.offsets).toEqual({ "0": 1 });
    expect(held.last_message_id).toBe("1");
    release.resolve();
    await waitFor(() => consumer.health().counters.processed === 8, "all processed");
    expect((await consumer.commit()).offsets).toEqual({ "0": 8 });
    await consumer.stop();
  });

  it("with autoCommit false writes only on commit(), not on a timer or at stop", async () => {
    const store = new MemStore();
    const consumer = new Consumer(consumerOptions({ autoCommit: false, commitInterval: "10ms" }))
      .bindSlots(store, store)
      .setProcessor(() => {});
    await publishNumbered((p, m) => store.publish(topic, p, m), 3);
    await consumer.start();
    await waitFor(() => consumer.health().counters.processed === 3, "3 processed");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await store.exists(consumer.stateKey)).toBe(false);
    const state = await consumer.commit();
    expect(state.offsets).toEqual({ "0": 3 });
    expect(await storedState(store, consumer.stateKey)).toEqual(state);
    await publishNumbered((p, m) => store.publish(topic, p, m), 2, 3);
    await waitFor(() => consumer.health().counters.processed === 5, "5 processed");
    await consumer.stop();
    expect((await storedState(store, consumer.stateKey)).offsets).toEqual({ "0": 3 });
    expect(consumer.health().counters.commits).toBe(1);
  });

  it("auto-commits every commitInterval while running", async () => {
    const store = new MemStore();
    const consumer = new Consumer(consumerOptions({ commitInterval: "20ms" }))
      .bindSlots(store, store)
      .setProcessor(() => {});
    await consumer.start();
    await publishNumbered((p, m) => store.publish(topic, p, m), 2);
    await waitFor(() => consumer.health().counters.commits >= 1, "a timed commit");
    expect((await storedState(store, consumer.stateKey)).offsets).toEqual({ "0": 2 });
    await publishNumbered((p, m) => store.publish(topic, p, m), 1, 2);
    await waitFor(() => consumer.health().counters.commits >= 2, "a second timed commit");
    expect((await storedState(store, consumer.stateKey)).offsets).toEqual({ "0": 3 });
    await consumer.stop();
  });

  it("with commitInterval 0 commits after every finished message", async () => {
    const store = new MemStore();
    const states: unknown[] = [];
    const recordingStore: KeyValueBasicInterface = {
      get: (key) => store.get(key),
      exists: (key) => store.exists(key),
      delete: (key) => store.delete(key),
      set: async (key, value, ttl) => {
        states.push(JSON.parse(text(value)).offset);
        await store.set(key, value, ttl);
      },
    };
    const consumer = new Consumer(consumerOptions({ commitInterval: 0 }))
      .bindSlots(store, recordingStore)
      .setProcessor(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
      });
    await publishNumbered((p, m) => store.publish(topic, p, m), 5);
    await consumer.start();
    await waitFor(() => consumer.health().counters.processed === 5, "5 processed");
    await consumer.stop();
    expect(states).toEqual([1, 2, 3, 4, 5]);
  });

  it("carries retry_count across restarts", async () => {
    const store = new MemStore();
    const make = () =>
      new Consumer(consumerOptions({ maxRetries: 1 })).bindSlots(store, store).setProcessor((_, ctx) => {
        if (ctx.attempt === 1) throw new Error("first attempt fails");
      });
    const first = make();
    await store.publish(topic, new Uint8Array([1]));
    await first.start();
    await waitFor(() => first.health().counters.processed === 1, "processed");
    await first.stop();
    const second = make();
    await store.publish(topic, new Uint8Array([2]));
    await second.start();
    await waitFor(() => second.health().counters.processed === 1, "processed");
    await second.stop();
    expect((await storedState(store, second.stateKey)).retry_count).toBe(2);
  });
});
