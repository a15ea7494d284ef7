import type { Message } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { MemStore } from "./mem-store.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

async function receiveOne(store: MemStore, queue: string): Promise<Message> {
  const iterator = (await store.receive(queue))[Symbol.asyncIterator]();
  const next = await iterator.next();
  await iterator.return?.();
  if (next.done) throw new Error("queue iteration ended");
  return next.value;
}

describe("MemStore queue", () => {
  it("delivers in order and forgets acknowledged messages", async () => {
    const store = new MemStore();
    await store.enqueue("q", bytes("a"), { k: "v" });
    await store.enqueue("q", bytes("b"));
    const first = await receiveOne(store, "q");
    expect(first).toMatchObject({ topic: "q", metadata: { k: "v" }, deliveryAttempt: 1 });
    expect(text(first.payload)).toBe("a");
    await store.acknowledge(first);
    expect(store.queueSize("q")).toBe(1);
    await expect(store.acknowledge(first)).rejects.toThrow('memstore queue "q": message 1 is not pending');
  });

  it("redelivers a message rejected with requeue first, counting the attempt; drops one rejected without", async () => {
    const store = new MemStore();
    await store.enqueue("q", bytes("a"));
    await store.enqueue("q", bytes("b"));
    const a = await receiveOne(store, "q");
    await store.reject(a, true);
    const again = await receiveOne(store, "q");
    expect([text(again.payload), again.deliveryAttempt]).toEqual(["a", 2]);
    await store.reject(again, false);
    const b = await receiveOne(store, "q");
    expect(text(b.payload)).toBe("b");
    await store.acknowledge(b);
    expect(store.queueSize("q")).toBe(0);
  });

  it("redelivers a message left unsettled past the visibility timeout", async () => {
    const store = new MemStore({ visibilityTimeout: 20 });
    await store.enqueue("q", bytes("a"));
    await store.enqueue("q", bytes("b"));
    const iterator = (await store.receive("q"))[Symbol.asyncIterator]();
    const first = await iterator.next();
    const second = await iterator.next();
    expect([first.value, second.value].map((m) => m && text(m.payload))).toEqual(["a", "b"]);
    const redelivered = [await iterator.next(), await iterator.next()].map((r) => r.value as Message);
    expect(redelivered.map((m) => [text(m.payload), m.deliveryAttempt])).toEqual([
      ["a", 2],
      ["b", 2],
    ]);
    for (const m of redelivered) await store.acknowledge(m);
    expect(store.queueSize("q")).toBe(0);
    await iterator.return?.();
  });

  it("shares messages between competing receivers", async () => {
    const store = new MemStore();
    const received: Array<[number, string]> = [];
    const abort = new AbortController();
    const receivers = [0, 1].map(async (n) => {
      for await (const message of await store.receive("q", { signal: abort.signal })) {
        received.push([n, text(message.payload)]);
        await store.acknowledge(message);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    });
    for (let i = 0; i < 40; i++) await store.enqueue("q", bytes(String(i)));
    while (received.length < 40) await new Promise((resolve) => setTimeout(resolve, 1));
    abort.abort();
    await Promise.all(receivers);
    expect(new Set(received.map(([, p]) => p)).size).toBe(40);
    expect(new Set(received.map(([n]) => n))).toEqual(new Set([0, 1]));
  });

  it("makes enqueue wait while `capacity` messages are waiting or pending", async () => {
    const store = new MemStore({ capacity: 2 });
    const enqueued = [
      store.enqueue("q", bytes("a")),
      store.enqueue("q", bytes("b")),
      store.enqueue("q", bytes("c")),
    ];
    let done = 0;
    for (const p of enqueued) void p.then(() => done++);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(done).toBe(2);
    await store.acknowledge(await receiveOne(store, "q"));
    await Promise.all(enqueued);
    expect(store.queueSize("q")).toBe(2);
  });
});
