import { MemStore, memstoreDriver } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { recordingLogger, text, waitFor } from "../test/helpers.js";
import type { ConsumerConfig } from "./config.js";
import { parseConfigYaml } from "./config-yaml.js";
import { createConsumer } from "./drivers.js";
import { ConfigError, isPrismError, PrismErrorCode } from "./errors.js";

const config = (slots: Partial<ConsumerConfig["slots"]> = {}): ConsumerConfig => ({
  name: "order-processor",
  slots: { messageSource: { driver: "memstore" }, stateStore: { driver: "memstore" }, ...slots },
  behavior: { consumerGroup: "g", topic: "orders.created", maxRetries: 0 },
});

describe("createConsumer", () => {
  it("resolves slot drivers through the factories it is given", async () => {
    const store = new MemStore();
    const consumer = await createConsumer(config({ deadLetterQueue: { driver: "memstore" } }), {
      drivers: { memstore: () => store },
      logger: recordingLogger(),
    });
    const seen: string[] = [];
    consumer.setProcessor((m) => {
      seen.push(text(m.payload));
      if (text(m.payload) === "bad") throw new Error("bad order");
    });
    await consumer.start();
    await store.publish("orders.created", new TextEncoder().encode("good"));
    await store.publish("orders.created", new TextEncoder().encode("bad"));
    await waitFor(() => consumer.health().counters.deadLettered === 1, "the bad order dead-lettered");
    await consumer.stop();
    expect(seen).toEqual(["good", "bad"]);
    expect(store.queueSize("orders.created.dlq")).toBe(1);
  });

  it("creates one driver for slots with the same driver and settings (the seed's NATS source and DLQ)", async () => {
    const created: unknown[] = [];
    const factory = (settings: Readonly<Record<string, unknown>>) => {
      created.push(settings);
      return new MemStore();
    };
    await createConsumer(
      config({
        messageSource: { driver: "memstore", config: { capacity: 5, retention: 10 } },
        deadLetterQueue: { driver: "memstore", config: { retention: 10, capacity: 5 } },
      }),
      { drivers: { memstore: factory } },
    );
    expect(created).toEqual([{ capacity: 5, retention: 10 }, {}]);
  });

  it("fails on unknown drivers before creating any, listing the known ones", async () => {
    let created = 0;
    const error = await createConsumer(
      config({ stateStore: { driver: "redsi" }, deadLetterQueue: { driver: "nat" } }),
      {
        drivers: {
          memstore: () => {
            created++;
            return new MemStore();
          },
          nats: () => new MemStore(),
        },
      },
    ).catch((e: unknown) => e);
    expect(isPrismError(error) && error.code).toBe(PrismErrorCode.UnknownDriver);
    expect((error as Error).message).toBe(
      'slots.state_store.driver: unknown driver "redsi"; slots.dead_letter_queue.driver: unknown driver "nat"; ' +
        "known drivers: memstore, nats",
    );
    expect(created).toBe(0);
  });

  it("passes driver config errors through with their paths, and closes drivers already created", async () => {
    let closed = 0;
    const closable = () => Object.assign(new MemStore(), { close: async () => void closed++ });
    const error = await createConsumer(
      parseConfigYaml(`
name: c
slots:
  message_source: { driver: ok }
  state_store: { driver: memstore, config: { capacity: lots, colour: blue } }
behavior: { consumer_group: g, topic: t }
`),
      { drivers: { ok: closable, memstore: memstoreDriver } },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "slots.state_store.config.colour: unknown key; expected one of capacity, retention, visibility_timeout, acknowledged_subscriptions",
      'slots.state_store.config.capacity: expected an integer >= 1, got "lots"',
    ]);
    expect(closed).toBe(1);
  });

  it("wraps a driver that cannot start with the slot and driver it belongs to", async () => {
    const error = await createConsumer(config(), {
      drivers: {
        memstore: () => {
          throw new Error("connect ECONNREFUSED 127.0.0.1:1");
        },
      },
    }).catch((e: unknown) => e);
    expect(isPrismError(error) && error.code).toBe(PrismErrorCode.BackendUnavailable);
    expect((error as Error).message).toBe(
      'slots.message_source: driver "memstore" could not start: connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it("closes the drivers it created when the consumer stops", async () => {
    let closed = 0;
    const consumer = await createConsumer(config(), {
      drivers: { memstore: () => Object.assign(new MemStore(), { close: async () => void closed++ }) },
    });
    consumer.setProcessor(() => {});
    await consumer.start();
    await consumer.stop();
    expect(closed).toBe(1);
    await expect(consumer.start()).rejects.toThrow("create a new consumer");
  });
});
