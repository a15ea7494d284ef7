import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import {
  bytes,
  consumerOptions,
  deferred,
  partitionedSource,
  publishNumbered,
  recordingLogger,
  text,
  waitFor,
} from "../test/helpers.js";
import { Consumer } from "./consumer.js";
import type { KeyValueBasicInterface } from "./interfaces.js";
import { decodeState, encodeState } from "./state.js";

const topic = "payments";

/** A state store that, once armed, lets another writer store `interloper` between a read and the next write. */
function racingStore(store: MemStore) {
  let interloper: (() => Promise<void>) | undefined;
  const racing: KeyValueBasicInterface & Pick<MemStore, "compareAndSet"> = {
    set: (key, value, ttl) => store.set(key, value, ttl),
    delete: (key) => store.delete(key),
    exists: (key) => store.exists(key),
    async get(key) {
      const value = await store.get(key);
      const write = interloper;
      interloper = undefined;
      await write?.();
      return value;
    },
    compareAndSet: (key, expected, value) => store.compareAndSet(key, expected, value),
  };
  return { store: racing, arm: (write: () => Promise<void>) => (interloper = write) };
}

describe("replicas of one consumer", () => {
  it("never move a partition's checkpoint backwards, whichever member writes last", async () => {
    const store = new MemStore();
    const a = partitionedSource(topic);
    const b = partitionedSource(topic);
    const first = new Consumer(consumerOptions({ topic })).bindSlots(a.source, store).setProcessor(() => {});
    const second = new Consumer(consumerOptions({ topic })).bindSlots(b.source, store).setProcessor(() => {});
    await first.start();
    await second.start();
    // B processed partition 0 up to 2 and lost it; A owns it now and got to 6.
    for (let i = 0; i < 2; i++) await b.push("0", `b${i}`);
    for (let i = 0; i < 6; i++) await a.push("0", `a${i}`);
    for (let i = 0; i < 3; i++) await b.push("1", `b${i}`);
    await waitFor(
      () => first.health().counters.processed === 6 && second.health().counters.processed === 5,
      "all",
    );
    expect((await first.commit()).offsets).toEqual({ "0": 6 });
    // B's own view of partition 0 is stale (2): its commit keeps A's 6 and adds its partition 1.
    expect((await second.commit()).offsets).toEqual({ "0": 6, "1": 3 });
    await first.stop();
    await second.stop();
    const stored = decodeState((await store.get(first.stateKey)) as Uint8Array, first.stateKey);
    expect(stored.offsets).toEqual({ "0": 6, "1": 3 });
  });

  it("redo a commit that lost a race to another member's (compare-and-set), keeping both", async () => {
    const memory = new MemStore();
    const { store, arm } = racingStore(memory);
    const { source, push } = partitionedSource(topic);
    const consumer = new Consumer(consumerOptions({ topic })).bindSlots(source, store).setProcessor(() => {});
    await consumer.start();
    for (let i = 0; i < 4; i++) await push("0", String(i));
    await waitFor(() => consumer.health().counters.processed === 4, "4 processed");
    // Between this commit's read and its write, another member stores partition 1 and a retry.
    arm(() =>
      memory.set(
        consumer.stateKey,
        encodeState({
          offset: 9,
          offsets: { "1": 9 },
          last_message_id: "1/9",
          last_updated: "",
          retry_count: 2,
        }),
      ),
    );
    const state = await consumer.commit();
    expect(state.offsets).toEqual({ "0": 4, "1": 9 });
    expect(state.retry_count).toBe(2);
    await consumer.stop();
    expect(decodeState((await memory.get(consumer.stateKey)) as Uint8Array, "k").offsets).toEqual({
      "0": 4,
      "1": 9,
    });
  });

  it("say at start when the state store cannot compare-and-set (concurrent commits may overwrite)", async () => {
    const memory = new MemStore();
    const plain: KeyValueBasicInterface = {
      set: (key, value, ttl) => memory.set(key, value, ttl),
      get: (key) => memory.get(key),
      delete: (key) => memory.delete(key),
      exists: (key) => memory.exists(key),
    };
    const logger = recordingLogger();
    const consumer = new Consumer({ ...consumerOptions({ topic: "orders" }), logger })
      .bindSlots(memory, plain)
      .setProcessor(() => {});
    await consumer.start();
    await consumer.stop();
    expect(logger.lines.filter((l) => l.message.includes("cannot compare-and-set"))).toHaveLength(1);
  });

  it("add up their retries in the stored retry count", async () => {
    const store = new MemStore();
    const make = () => {
      let failed = false;
      return new Consumer(consumerOptions({ topic: "orders" })).bindSlots(store, store).setProcessor(() => {
        if (!failed) {
          failed = true;
          throw new Error("once");
        }
      });
    };
    const [a, b] = [make(), make()];
    await a.start();
    await b.start();
    await publishNumbered((payload) => store.publish("orders", payload), 10);
    await waitFor(
      () => a.health().counters.processed + b.health().counters.processed === 10,
      "10 processed by the two",
    );
    await a.stop();
    await b.stop();
    const stored = decodeState((await store.get(a.stateKey)) as Uint8Array, a.stateKey);
    expect(a.health().counters.retries + b.health().counters.retries).toBe(2);
    expect(stored.retry_count).toBe(2);
  });

  it("share a group through acknowledged subscriptions: what a stopped member abandoned goes to another", async () => {
    const store = new MemStore({ acknowledgedSubscriptions: true });
    const processed: string[] = [];
    const stuck = deferred();
    const hanging = new Consumer(consumerOptions({ topic: "orders", shutdownTimeout: "50ms" }))
      .bindSlots(store, store)
      .setProcessor(async (message, { signal }) => {
        // Ignores nothing: it gives up when stop() runs out of patience.
        await new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new Error("aborted"))),
        );
        stuck.resolve();
        processed.push(`never ${text(message.payload)}`);
      });
    const healthy = new Consumer(consumerOptions({ topic: "orders" }))
      .bindSlots(store, store)
      .setProcessor((message) => void processed.push(text(message.payload)));
    await hanging.start();
    await store.publish("orders", bytes("only"));
    await waitFor(() => hanging.health().inFlight === 1, "the hanging member holds the message");
    await healthy.start();
    await hanging.stop();
    await waitFor(() => processed.includes("only"), "the other member processes it");
    await healthy.stop();
    expect(processed).toEqual(["only"]);
    expect(hanging.health().counters.abandoned).toBe(1);
  });

  it("finish and commit a partition's work before the source gives it to another member", async () => {
    const store = new MemStore();
    const { source, push, changeGroup } = partitionedSource(topic);
    const release = deferred();
    const started = deferred();
    const consumer = new Consumer(consumerOptions({ topic }))
      .bindSlots(source, store)
      .setProcessor(async (message) => {
        if (message.id !== "0/2") return;
        started.resolve();
        await release.promise;
      });
    await consumer.start();
    await push("0", "a");
    await push("0", "b");
    await started.promise;
    let revoked = false;
    const revoking = changeGroup({ kind: "revoking", partitions: ["0", "1"] }).then(() => {
      revoked = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(revoked).toBe(false); // it waits for the message in flight
    release.resolve();
    await revoking;
    const stored = decodeState((await store.get(consumer.stateKey)) as Uint8Array, consumer.stateKey);
    expect(stored.offsets).toEqual({ "0": 2 });
    await consumer.stop();
  });

  it("show each member's id, its partitions and the group changes in health(), and log them", async () => {
    const store = new MemStore();
    const logger = recordingLogger();
    const { source, owned, changeGroup } = partitionedSource(topic);
    const consumer = new Consumer({ ...consumerOptions({ topic }), logger })
      .bindSlots(source, store)
      .setProcessor(() => {});
    await consumer.start();
    const member = consumer.health().membership.member;
    expect(member).toMatch(/^order-processor@.+:\d+:[0-9a-f]{6}$/);
    owned.delete("1");
    await changeGroup({ kind: "assigned", partitions: ["0"] });
    expect(consumer.health().membership).toMatchObject({
      member,
      partitions: ["0"],
      changes: [{ change: { kind: "assigned", partitions: ["0"] } }],
    });
    expect(logger.lines.map((l) => l.message)).toContain("group change: owns partitions 0");
    await consumer.stop();
    await consumer.start();
    expect(consumer.health().membership.member).not.toBe(member);
    await consumer.stop();
  });
});
