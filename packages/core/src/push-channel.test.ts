import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { pushChannel } from "./push-channel.js";

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("pushChannel", () => {
  it("hands items over in order and ends after the held ones", async () => {
    const channel = pushChannel<number>({ capacity: 10 });
    for (const n of [1, 2, 3]) expect(await channel.push(n)).toBe(true);
    channel.end();
    expect(await collect(channel.iterable)).toEqual([1, 2, 3]);
    expect(await channel.push(4)).toBe(false);
  });

  it("makes the producer wait while `capacity` items are held", async () => {
    const channel = pushChannel<number>({ capacity: 2 });
    const pushes = [1, 2, 3, 4].map((n) => channel.push(n));
    let accepted = 0;
    for (const p of pushes) void p.then(() => accepted++);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(accepted).toBe(2);
    expect(channel.size).toBe(2);
    const iterator = channel.iterable[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(accepted).toBe(3);
    expect((await iterator.next()).value).toBe(2);
    expect((await iterator.next()).value).toBe(3);
    expect((await iterator.next()).value).toBe(4);
    expect(await Promise.all(pushes)).toEqual([true, true, true, true]);
  });

  it("wakes waiting producers once the reader has taken the channel down to half, not per item", async () => {
    const channel = pushChannel<number>({ capacity: 4 });
    const pushes = [1, 2, 3, 4, 5, 6].map((n) => channel.push(n));
    let accepted = 0;
    for (const p of pushes) void p.then(() => accepted++);
    const iterator = channel.iterable[Symbol.asyncIterator]();
    const settle = () => new Promise((resolve) => setTimeout(resolve, 1));
    await settle();
    expect(accepted).toBe(4);
    expect((await iterator.next()).value).toBe(1);
    await settle();
    expect(accepted).toBe(4); // 3 held: more than half
    expect((await iterator.next()).value).toBe(2);
    await settle();
    expect(accepted).toBe(6);
    const rest = [];
    for (let i = 0; i < 4; i++) rest.push((await iterator.next()).value);
    expect(rest).toEqual([3, 4, 5, 6]);
  });

  it("offer takes an item only when that needs no waiting", async () => {
    const channel = pushChannel<number>({ capacity: 2 });
    const iterator = channel.iterable[Symbol.asyncIterator]();
    const waiting = iterator.next();
    expect(channel.offer(1)).toBe(true); // straight to the waiting reader
    expect(await waiting).toEqual({ done: false, value: 1 });
    expect(channel.offer(2)).toBe(true);
    expect(channel.offer(3)).toBe(true);
    expect(channel.offer(4)).toBe(false); // full: not taken
    expect(channel.size).toBe(2);
    channel.end();
    expect(channel.offer(5)).toBe(false);
    expect((await iterator.next()).value).toBe(2);
    expect((await iterator.next()).value).toBe(3);
    expect((await iterator.next()).done).toBe(true);
  });

  it("delivers straight to a waiting reader, and throws an ending error to it", async () => {
    const channel = pushChannel<string>({ capacity: 1 });
    const iterator = channel.iterable[Symbol.asyncIterator]();
    const waiting = iterator.next();
    await channel.push("a");
    expect(await waiting).toEqual({ done: false, value: "a" });
    const failing = iterator.next();
    channel.end(new Error("connection lost"));
    await expect(failing).rejects.toThrow("connection lost");
  });

  it("keeps no abort listener of a producer that waited and was woken (a long-lived signal)", async () => {
    const abort = new AbortController();
    const channel = pushChannel<number>({ capacity: 1 });
    const iterator = channel.iterable[Symbol.asyncIterator]();
    const producer = (async () => {
      for (let n = 0; n < 50; n++) await channel.push(n, abort.signal);
    })();
    // The reader lags, so each push waits for room.
    for (let n = 0; n < 50; n++) {
      await new Promise(setImmediate);
      expect((await iterator.next()).value).toBe(n);
    }
    await producer;
    expect(getEventListeners(abort.signal, "abort")).toHaveLength(0);
  });

  it("ends on abort and refuses the producers still waiting", async () => {
    const abort = new AbortController();
    const channel = pushChannel<number>({ capacity: 1, signal: abort.signal });
    await channel.push(1);
    const blocked = channel.push(2);
    abort.abort();
    expect(await blocked).toBe(false);
  });
});
