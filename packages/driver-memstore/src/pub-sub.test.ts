import type { Message } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { MemStore } from "./mem-store.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Reads `count` messages from an iterable, then stops iterating. */
async function take(iterable: AsyncIterable<Message>, count: number): Promise<Message[]> {
  const out: Message[] = [];
  if (count === 0) return out;
  for await (const message of iterable) {
    out.push(message);
    if (out.length === count) break;
  }
  return out;
}

const payloads = (messages: Message[]) => messages.map((m) => text(m.payload));

describe("MemStore pub/sub", () => {
  it("delivers every message to every group, with payload, metadata, position and timestamp", async () => {
    const store = new MemStore({ now: () => 42 });
    const a = await store.subscribe("t", "group-a");
    const b = await store.subscribe("t", "group-b");
    await store.publish("t", bytes("x"), { key: "1" });
    await store.publish("t", bytes("y"));
    const [fromA, fromB] = await Promise.all([take(a, 2), take(b, 2)]);
    expect(payloads(fromA)).toEqual(["x", "y"]);
    expect(payloads(fromB)).toEqual(["x", "y"]);
    expect(fromA[0]).toEqual({
      id: "1",
      topic: "t",
      payload: bytes("x"),
      metadata: { key: "1" },
      timestamp: 42,
      position: { partition: "0", offset: 1 },
      deliveryAttempt: 1,
    });
  });

  it("shares messages between members of one group: each message once", async () => {
    const store = new MemStore();
    const members = await Promise.all([1, 2, 3].map(() => store.subscribe("t", "g")));
    const received: string[] = [];
    const readers = members.map(async (member) => {
      for await (const message of member) received.push(text(message.payload));
    });
    for (let i = 0; i < 300; i++) await store.publish("t", bytes(String(i)));
    while (received.length < 300) await new Promise((resolve) => setTimeout(resolve, 1));
    await store.unsubscribe("t", "g");
    await Promise.all(readers);
    expect(received.sort((x, y) => Number(x) - Number(y))).toEqual(
      Array.from({ length: 300 }, (_, i) => String(i)),
    );
  });

  it("keeps a group's place across unsubscribe; a new group starts with the oldest retained message", async () => {
    const store = new MemStore();
    for (const p of ["a", "b", "c"]) await store.publish("t", bytes(p));
    expect(payloads(await take(await store.subscribe("t", "g"), 2))).toEqual(["a", "b"]);
    await store.unsubscribe("t", "g");
    expect(payloads(await take(await store.subscribe("t", "g"), 1))).toEqual(["c"]);
    expect(payloads(await take(await store.subscribe("t", "late"), 3))).toEqual(["a", "b", "c"]);
  });

  it("resumes a group right after the offset its checkpoint lookup returns", async () => {
    const store = new MemStore();
    for (const p of ["a", "b", "c", "d"]) await store.publish("t", bytes(p));
    expect(payloads(await take(await store.subscribe("t", "g"), 4))).toHaveLength(4);
    const asked: string[] = [];
    await store.resumeAfter("t", "g", async (partition) => {
      asked.push(partition);
      return 2;
    });
    expect(payloads(await take(await store.subscribe("t", "g"), 2))).toEqual(["c", "d"]);
    expect(asked).toEqual(["0"]);
    await store.resumeAfter("t", "fresh", async () => undefined);
    expect(payloads(await take(await store.subscribe("t", "fresh"), 1))).toEqual(["a"]);
  });

  it("makes publish wait while the slowest group lags by `capacity` (never drops)", async () => {
    const store = new MemStore({ capacity: 3 });
    const sub = await store.subscribe("t", "g");
    const publishes = [1, 2, 3, 4, 5].map((i) => store.publish("t", bytes(String(i))));
    let settled = 0;
    for (const p of publishes) void p.then(() => settled++);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(3);
    expect(store.topicStats("t").lag).toBe(3);
    expect(payloads(await take(sub, 5))).toEqual(["1", "2", "3", "4", "5"]);
    await Promise.all(publishes);
    expect(settled).toBe(5);
  });

  it("trims to `retention` messages once every group has them", async () => {
    const store = new MemStore({ retention: 2 });
    const sub = await store.subscribe("t", "g");
    for (const p of ["a", "b", "c", "d"]) await store.publish("t", bytes(p));
    expect(store.topicStats("t").retained).toBe(4);
    await take(sub, 4);
    await store.publish("t", bytes("e"));
    expect(store.topicStats("t").retained).toBe(2);
    expect(payloads(await take(await store.subscribe("t", "new"), 2))).toEqual(["d", "e"]);
  });

  it("ends an iteration when its signal aborts, also while it waits", async () => {
    const store = new MemStore();
    const abort = new AbortController();
    const sub = await store.subscribe("t", "g", { signal: abort.signal });
    const waiting = sub[Symbol.asyncIterator]().next();
    abort.abort();
    expect(await waiting).toEqual({ done: true, value: undefined });
    const already = await store.subscribe("t", "g", { signal: abort.signal });
    expect(await already[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
  });
});
