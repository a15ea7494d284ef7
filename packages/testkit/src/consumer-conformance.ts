import {
  type Consumer,
  createConsumer,
  DeadLetterKey,
  parseConfigYaml,
  silentLogger,
  stateKey,
} from "@prism/consumer-core";
import type { DriverFactory } from "@prism/consumer-core/driver";
import { isPrismError } from "@prism/consumer-core/driver";
import { afterAll, describe, expect, it } from "vitest";
import { defaultMaxUnsettled } from "./features.js";
import {
  type ConformanceHarness,
  caseTimeout,
  deleteCreated,
  groupOf,
  newTopic,
  resolveHarness,
} from "./harness.js";
import {
  abandonReceive,
  closeDriver,
  consumerName,
  consumerYaml,
  memoryStateStore,
  openDriver,
  order,
  orderOf,
  orderProcessor,
  readDeadLetters,
  stateDriverName,
  waitUntil,
} from "./internal/consumer-support.js";
import { sleep } from "./internal/reader.js";
import { rules } from "./internal/rules.js";

export interface ConsumerConformanceOptions {
  /** The driver's name as `slots.*.driver` writes it in YAML, e.g. "redis". */
  readonly name: string;
  /** The factory `createConsumer` is given under `name`. It must return a `QueueInterface` (the DLQ). */
  readonly driver: DriverFactory;
  /** The slot's `config` mapping for the test backend, as YAML writes it (snake_case keys). */
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * The same pointing where nothing listens (e.g. port 1): enables the fail-fast case. Omit it only for a
   * driver with no backend to be unreachable (an in-process one).
   */
  readonly unreachableConfig?: Readonly<Record<string, unknown>>;
  /** The interface the consumer reads through (`slots.message_source.interface`). */
  readonly source: "queue" | "pubsub";
  /**
   * The driver is the state store too (it implements `KeyValueBasicInterface`), so checkpoints go through
   * it. Default false: the kit keeps the state in memory.
   */
  readonly stateStore?: boolean;
  /** How many messages one receive hands out unsettled; as in `QueueFeatures`. Default 10. */
  readonly maxUnsettled?: number;
  /** `timeoutMs` also bounds the redelivery of what a crashed member took; `failFastMs` the fail-fast case. */
  readonly harness?: ConformanceHarness & {
    /** How soon `createConsumer` must reject when the backend is unreachable. Default 15 s. */
    readonly failFastMs?: number;
  };
}

/**
 * Registers the consumer-level cases (vitest `describe`/`it`): the consumer, built by `createConsumer`
 * from YAML naming your driver, over your real backend. Your driver is the message source and the
 * dead-letter queue (and the state store with `stateStore: true`; else the kit keeps it in memory).
 */
export function describeConsumerConformance(options: ConsumerConformanceOptions): void {
  const h = resolveHarness(options.harness);
  const failFastMs = options.harness?.failFastMs ?? 15_000;
  const capacity = options.maxUnsettled ?? defaultMaxUnsettled;
  describe(`${options.name}: consumer conformance (${options.source} source)`, {
    timeout: caseTimeout(h),
  }, () => {
    afterAll(() => deleteCreated(h));

    /** A case's topic, its consumer group and dead-letter queue, all new and all cleaned up. */
    const names = (label: string) => {
      const topic = newTopic(h, label);
      const deadLetters = `${topic}.dlq`;
      h.created.topics.add(deadLetters);
      const group = groupOf(h, topic, "consumer");
      if (options.stateStore) h.created.keys.add(stateKey(group, topic, consumerName));
      return { topic, group, deadLetters };
    };
    const state = memoryStateStore();
    /** The consumer YAML of a case, as a user writes it. */
    const yamlFor = (topic: string, group: string, config = options.config) =>
      consumerYaml({
        driver: options.name,
        config,
        source: options.source,
        stateStore: options.stateStore ?? false,
        topic,
        group,
      });
    const create = (yaml: string) =>
      createConsumer(parseConfigYaml(yaml), {
        drivers: { [options.name]: options.driver, [stateDriverName]: () => state },
        logger: silentLogger,
      });
    /** A new consumer from YAML, as a new process would build it; the state store outlives it. */
    const consumerFor = (topic: string, group: string): Promise<Consumer> => create(yamlFor(topic, group));
    /** The error `createConsumer` rejected with; undefined (after stopping it) when it did not reject. */
    const createError = (yaml: string) =>
      create(yaml).then(
        async (consumer) => {
          await consumer.stop();
          return undefined;
        },
        (e: unknown) => e,
      );
    const send = async (topic: string, from: number, to: number) => {
      const driver = await openDriver(options.driver, options.config);
      try {
        for (let n = from; n < to; n++) {
          const metadata = { "order-id": String(n) };
          if (options.source === "queue") await driver.enqueue(topic, order(n), metadata);
          else await driver.publish(topic, order(n), metadata);
        }
      } finally {
        await closeDriver(driver);
      }
    };
    /** Runs a consumer until `until` holds, then stops it; orders 1 and 3 always fail. */
    const run = async (
      topic: string,
      group: string,
      processed: string[],
      until: (consumer: Consumer) => boolean,
      what: string,
    ) => {
      const consumer = await consumerFor(topic, group);
      consumer.setProcessor(orderProcessor(processed, { malformed: ["1"], declined: ["3"] }));
      await consumer.start();
      try {
        await waitUntil(
          () => until(consumer),
          h.timeoutMs,
          () => `timed out after ${h.timeoutMs} ms waiting for ${what}; processed: [${processed.join(", ")}]`,
        );
      } finally {
        await consumer.stop();
      }
      return consumer;
    };

    it("dead-letters a poison message with its failure metadata, and processes the rest", async () => {
      const { topic, group, deadLetters } = names("poison");
      await send(topic, 0, 5);
      const processed: string[] = [];
      const consumer = await run(
        topic,
        group,
        processed,
        (c) => processed.length === 3 && c.health().counters.deadLettered === 2,
        "orders 0, 2 and 4 processed, 1 and 3 dead-lettered",
      );
      expect(processed.sort()).toEqual(["0", "2", "4"]);
      expect(
        consumer.health().counters.deadLettered,
        "orders 1 (malformed) and 3 (declined) dead-lettered",
      ).toBe(2);
      const driver = await openDriver(options.driver, options.config);
      try {
        const dead = await readDeadLetters(
          driver,
          deadLetters,
          groupOf(h, deadLetters, "inspector"),
          2,
          h.timeoutMs,
        );
        expect(
          dead.map(orderOf).sort(),
          `the dead letters on "${deadLetters}" (enqueue must keep payloads)`,
        ).toEqual(["1", "3"]);
        const byOrder = new Map(dead.map((message) => [orderOf(message), message.metadata]));
        const common = {
          "order-id": expect.any(String),
          [DeadLetterKey.OriginalTopic]: topic,
          [DeadLetterKey.OriginalId]: expect.any(String),
          [DeadLetterKey.ConsumerName]: consumerName,
          [DeadLetterKey.ConsumerGroup]: group,
          [DeadLetterKey.FirstFailureAt]: expect.stringMatching(/^\d+$/),
        };
        const metadataRule =
          "dead letters carry the original metadata and the failure's (enqueue must keep metadata)";
        expect(byOrder.get("1"), metadataRule).toMatchObject({
          ...common,
          "order-id": "1",
          [DeadLetterKey.Error]: "order 1 is malformed",
          [DeadLetterKey.Attempts]: "1",
        });
        expect(byOrder.get("3"), metadataRule).toMatchObject({
          ...common,
          "order-id": "3",
          [DeadLetterKey.Error]: "payment for order 3 was declined",
          [DeadLetterKey.Attempts]: "3",
        });
      } finally {
        await closeDriver(driver);
      }
    });

    it("after a member crashed holding unsettled messages, a new consumer processes every message", async () => {
      const { topic, group } = names("crash");
      const total = 8;
      await send(topic, 0, total);
      const crashed = await openDriver(options.driver, options.config);
      try {
        const taken = await abandonReceive(
          crashed,
          options.source,
          topic,
          group,
          Math.min(3, capacity),
          h.timeoutMs,
        );
        expect(taken.length, "the crashed member received messages of its group").toBeGreaterThan(0);
      } finally {
        await closeDriver(crashed); // the crash: nothing it took is settled
      }
      const processed: string[] = [];
      const expected = ["0", "2", "4", "5", "6", "7"];
      const missing = () => expected.filter((n) => !processed.includes(n));
      await run(topic, group, processed, () => missing().length === 0, "every order").catch(
        (error: unknown) => {
          throw new Error(
            rules.redelivery(
              h,
              `orders [${missing().join(", ")}] were never processed after the crash (${String(error)})`,
            ),
          );
        },
      );
    });

    it("a cleanly restarted consumer processes only what came since, nothing twice", async () => {
      const { topic, group } = names("restart");
      await send(topic, 0, 3);
      const first: string[] = [];
      await run(topic, group, first, () => first.length === 2, "orders 0 and 2");
      await send(topic, 3, 6);
      const second: string[] = [];
      const consumer = await consumerFor(topic, group);
      consumer.setProcessor(orderProcessor(second, { malformed: ["1"], declined: ["3"] }));
      await consumer.start();
      try {
        await waitUntil(
          () => second.length >= 2,
          h.timeoutMs,
          () => `timed out waiting for orders 4 and 5; got [${second}]`,
        );
        await sleep(h.quietMs); // anything processed twice would show by now
      } finally {
        await consumer.stop();
      }
      expect(
        second.sort(),
        "after a clean stop, the restarted consumer starts where the last one stopped",
      ).toEqual(["4", "5"]);
    });

    it("rejects an unknown key of its YAML config at startup, naming it", async () => {
      const { topic, group } = names("yaml");
      const error = await createError(yamlFor(topic, group, { ...options.config, no_such_option: 1 }));
      expect(
        error instanceof Error ? error.message : error,
        "a driver factory checks its config and throws a ConfigError naming the field (context.path)",
      ).toMatch(/slots\.\w+\.config.*no_such_option/);
    });

    const unreachable = options.unreachableConfig;
    it.runIf(unreachable !== undefined)(
      `fails fast (within ${failFastMs} ms) with BACKEND_UNAVAILABLE when the backend is unreachable`,
      async () => {
        const { topic, group } = names("unreachable");
        const started = Date.now();
        const error = await createError(yamlFor(topic, group, unreachable));
        const elapsed = Date.now() - started;
        expect(error, "createConsumer must reject when the backend is unreachable").toBeInstanceOf(Error);
        expect(
          isPrismError(error) ? error.code : error,
          "the factory maps a refused connection to BACKEND_UNAVAILABLE (backendError in the driver toolkit)",
        ).toBe("BACKEND_UNAVAILABLE");
        expect(elapsed, "the factory gives up instead of retrying forever at startup").toBeLessThan(
          failFastMs,
        );
        for (const [key, value] of Object.entries(unreachable ?? {})) {
          if (/password|secret|token/i.test(key) && typeof value === "string") {
            expect(
              (error as Error).message,
              `the error shows the secret "${key}": never show secrets`,
            ).not.toContain(value);
          }
        }
      },
      failFastMs + 10_000,
    );
  });
}
