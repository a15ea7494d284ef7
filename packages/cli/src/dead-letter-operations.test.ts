// Replay and purge as both `prism-consumer dlq` and the console run them, over memstore's queue.
import { DeadLetterKey } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { purgeDeadLetters, type ReplaySend, replayDeadLetters } from "./dead-letter-operations.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (payload: Uint8Array) => new TextDecoder().decode(payload);

async function deadLetterQueue() {
  const store = new MemStore();
  const put = (payload: string, error: string, extra: Record<string, string> = {}) =>
    store.enqueue("orders.dlq", bytes(payload), {
      [DeadLetterKey.OriginalTopic]: "orders",
      [DeadLetterKey.Error]: error,
      [DeadLetterKey.Attempts]: "3",
      traceparent: `00-${payload}`,
      ...extra,
    });
  await put("a", "timeout");
  await put("b", "bad input");
  await put("c", "timeout", { [DeadLetterKey.OriginalTopic]: "orders.eu" });
  const target = { queue: store, topic: "orders.dlq", defaultTopic: "orders" };
  const left = async () => (await store.browse("orders.dlq")).map((message) => text(message.payload));
  return { store, target, left };
}

describe("replayDeadLetters", () => {
  it("publishes each to its original topic with the original metadata, then removes it", async () => {
    const { target, left } = await deadLetterQueue();
    const sent: Array<{ topic: string; payload: string; metadata: Record<string, string> }> = [];
    const send: ReplaySend = async (topic, payload, metadata) => {
      sent.push({ topic, payload: text(payload), metadata });
      return String(sent.length);
    };
    const heard: string[] = [];
    const results = await replayDeadLetters(
      target,
      send,
      { errorText: "TIME" },
      { onResult: (r) => heard.push(r.id) },
    );
    expect(results.map((result) => [result.outcome, result.target])).toEqual([
      ["replayed", "orders"],
      ["replayed", "orders.eu"],
    ]);
    expect(heard).toEqual(results.map((result) => result.id));
    expect(sent.map((copy) => copy.payload)).toEqual(["a", "c"]);
    expect(sent[0]?.metadata).toEqual({
      traceparent: "00-a",
      "prism-replayed-from": `orders.dlq/${results[0]?.id}`,
    });
    expect(await left()).toEqual(["b"]);
  });

  it("keeps a dead letter whose copy the source refused, and says why", async () => {
    const { target, left } = await deadLetterQueue();
    const send: ReplaySend = async (_topic, payload) => {
      if (text(payload) === "b") throw new Error("broker said no");
      return "1";
    };
    const results = await replayDeadLetters(target, send, {});
    expect(results.map((result) => result.outcome)).toEqual(["replayed", "publish-failed", "replayed"]);
    expect(results[1]?.error).toContain("broker said no");
    expect(await left()).toEqual(["b"]);
  });

  it("with dryRun publishes and removes nothing", async () => {
    const { target, left } = await deadLetterQueue();
    const send: ReplaySend = async () => {
      throw new Error("must not be called");
    };
    const results = await replayDeadLetters(target, send, {}, { dryRun: true });
    expect(results.map((result) => result.outcome)).toEqual(["would-replay", "would-replay", "would-replay"]);
    expect(await left()).toEqual(["a", "b", "c"]);
  });
});

describe("purgeDeadLetters", () => {
  it("removes what matches (by id, by error), or counts it with dryRun", async () => {
    const { store, target, left } = await deadLetterQueue();
    expect(await purgeDeadLetters(target, { errorText: "timeout" }, { dryRun: true })).toBe(2);
    expect(await left()).toEqual(["a", "b", "c"]);
    const [first] = await store.browse("orders.dlq");
    expect(await purgeDeadLetters(target, { ids: new Set([first?.id as string]) })).toBe(1);
    expect(await left()).toEqual(["b", "c"]);
    expect(await purgeDeadLetters(target, {})).toBe(2);
    expect(await left()).toEqual([]);
  });
});
