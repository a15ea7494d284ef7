import { describe, expect, it } from "vitest";
import { MemStore } from "../mem-store.js";

/** Drains `count` messages, noting how many had arrived when a timer set before the drain fired. */
async function drainWithTimer(iterable: AsyncIterable<unknown>, count: number): Promise<number | undefined> {
  let received = 0;
  let receivedWhenTimerFired: number | undefined;
  setTimeout(() => {
    receivedWhenTimerFired = received;
  }, 0);
  for await (const _message of iterable) {
    if (++received === count) break;
  }
  return receivedWhenTimerFired;
}

describe("draining a backlog", () => {
  it("lets timers run while a subscriber reads thousands of messages in a row", async () => {
    const store = new MemStore();
    await store.subscribe("t", "g").then(() => store.unsubscribe("t", "g"));
    for (let i = 0; i < 5000; i++) await store.publish("t", new Uint8Array(1));
    const firedAt = await drainWithTimer(await store.subscribe("t", "g"), 5000);
    expect(firedAt).toBeDefined();
    expect(firedAt).toBeLessThan(5000);
  });

  it("lets timers run while a receiver reads thousands of queued messages in a row", async () => {
    const store = new MemStore();
    for (let i = 0; i < 5000; i++) await store.enqueue("q", new Uint8Array(1));
    const firedAt = await drainWithTimer(await store.receive("q"), 5000);
    expect(firedAt).toBeDefined();
    expect(firedAt).toBeLessThan(5000);
  });
});
