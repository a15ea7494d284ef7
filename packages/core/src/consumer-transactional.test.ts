import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { consumerOptions } from "../test/helpers.js";
import { validateConfig } from "./config-validation.js";
import { Consumer } from "./consumer.js";
import { ConfigError } from "./errors.js";

describe("transactional mode: configuration", () => {
  it("is rejected at start, naming the option, when the state store cannot run transactions", async () => {
    const store = new MemStore();
    const consumer = new Consumer(consumerOptions({ transactional: true }))
      .bindSlots(store, store)
      .setProcessor(() => {});
    const error = await consumer.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      {
        path: "behavior.transactional",
        message:
          "needs a state store that runs transactions (TransactionalState: the postgres driver); the bound state store does not",
      },
    ]);
  });

  it("is read from YAML's snake_case configuration and checked as a boolean", () => {
    const config = (transactional: unknown) => ({
      name: "c",
      slots: { message_source: { driver: "memstore" }, state_store: { driver: "postgres" } },
      behavior: { consumer_group: "g", topic: "t", transactional },
    });
    expect(validateConfig(config(true), "snake").behavior.transactional).toBe(true);
    expect(() => validateConfig(config("yes"), "snake")).toThrow(
      /behavior\.transactional: expected true or false, got "yes"/,
    );
  });
});
