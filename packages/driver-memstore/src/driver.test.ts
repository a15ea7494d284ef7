import { ConfigError } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { memstoreDriver } from "./driver.js";
import { MemStore } from "./mem-store.js";

const context = { slot: "stateStore", path: "slots.state_store.config", logger: undefined } as const;

describe("memstoreDriver", () => {
  it("creates a MemStore from the seed-style keys", async () => {
    const store = await memstoreDriver({ capacity: 2, retention: 0, visibility_timeout: "5s" }, context);
    expect(store).toBeInstanceOf(MemStore);
  });

  it("lists every bad key by path", () => {
    let caught: unknown;
    try {
      memstoreDriver({ capacity: 0, retention: "all", visibility_timeout: "soon", size: 1 }, context);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "slots.state_store.config.capacity: expected an integer >= 1, got 0",
      'slots.state_store.config.retention: expected an integer >= 0, got "all"',
      'slots.state_store.config.visibility_timeout: expected a duration like "30s", got "soon"',
      "slots.state_store.config.size: unknown key; expected one of capacity, retention, visibility_timeout",
    ]);
  });

  it("refuses a visibility timeout longer than a timer can wait", () => {
    expect(() => memstoreDriver({ visibility_timeout: "600h" }, context)).toThrow(
      'slots.state_store.config.visibility_timeout: "600h" is longer than a timer can wait',
    );
  });
});
