import { describe, expect, it } from "vitest";
import { MemStore } from "./mem-store.js";

const bytes = (text: string) => new TextEncoder().encode(text);

function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("MemStore key/value", () => {
  it("gets what was set, undefined for a missing key, and copies both ways", async () => {
    const store = new MemStore();
    const value = bytes("v1");
    await store.set("k", value);
    value[0] = 0;
    const read = await store.get("k");
    expect(read).toEqual(bytes("v1"));
    (read as Uint8Array)[0] = 0;
    expect(await store.get("k")).toEqual(bytes("v1"));
    expect(await store.get("missing")).toBeUndefined();
    await store.set("empty", new Uint8Array());
    expect(await store.get("empty")).toEqual(new Uint8Array());
    expect(await store.exists("empty")).toBe(true);
  });

  it("expires keys after their TTL; TTL 0 never expires; overwriting resets the TTL", async () => {
    const time = clock();
    const store = new MemStore({ now: time.now });
    await store.set("short", bytes("a"), 10);
    await store.set("forever", bytes("b"), 0);
    await store.set("reset", bytes("c"), 10);
    time.advance(9_000);
    await store.set("reset", bytes("c2"), 10);
    time.advance(1_000);
    expect(await store.exists("short")).toBe(false);
    expect(await store.get("short")).toBeUndefined();
    expect(await store.get("reset")).toEqual(bytes("c2"));
    time.advance(10_000);
    expect(await store.exists("reset")).toBe(false);
    time.advance(10 ** 12);
    expect(await store.get("forever")).toEqual(bytes("b"));
  });

  it("deletes, also a missing key, and rejects a negative TTL", async () => {
    const store = new MemStore();
    await store.set("k", bytes("v"));
    await store.delete("k");
    await store.delete("never-there");
    expect(await store.exists("k")).toBe(false);
    await expect(store.set("k", bytes("v"), -1)).rejects.toThrow(
      'memstore set("k"): ttlSeconds must be a number >= 0',
    );
  });
});
