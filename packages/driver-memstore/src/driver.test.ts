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
      "slots.state_store.config.size: unknown key; expected one of capacity, retention, visibility_timeout, " +
        "acknowledged_subscriptions",
      "slots.state_store.config.capacity: expected an integer >= 1, got 0",
      'slots.state_store.config.retention: expected an integer >= 0, got "all"',
      'slots.state_store.config.visibility_timeout: expected a duration like "5s", "250ms" or "1m30s", got "soon"',
    ]);
  });

  it("reads YAML as every driver does: numbers as text, durations with units", () => {
    expect(() => memstoreDriver({ capacity: "20", visibility_timeout: "1s" }, context)).not.toThrow();
    expect(() => memstoreDriver({ visibility_timeout: 30 }, context)).toThrow(
      'slots.state_store.config.visibility_timeout: expected a duration with a unit like "5s" or "250ms", got 30',
    );
  });

  it("throws a ConfigError, not a RangeError, for bad options in code", () => {
    expect(() => new MemStore({ capacity: 0 })).toThrow(ConfigError);
    expect(() => new MemStore({ capacity: 0 })).toThrow("options.capacity: expected an integer >= 1, got 0");
  });

  it("refuses a visibility timeout longer than a timer can wait", () => {
    expect(() => memstoreDriver({ visibility_timeout: "600h" }, context)).toThrow(
      'slots.state_store.config.visibility_timeout: "600h" is longer than a timer can wait',
    );
  });
});
