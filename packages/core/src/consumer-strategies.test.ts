import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { consumerOptions, type recordingLogger, text, waitFor } from "../test/helpers.js";
import { parseConfigYaml } from "./config-yaml.js";
import { Consumer } from "./consumer.js";
import { DeadLetterKey } from "./dead-letter.js";
import { ConfigError } from "./errors.js";
import { RetryTopicKey } from "./retry-topic.js";

const bytes = (value: string) => new TextEncoder().encode(value);

describe("on_exhausted: retry-topic", () => {
  it("sends a failed message to the retry topic, processes it there after the delay, and dead-letters it after its rounds", async () => {
    const store = new MemStore();
    const retryTopic = { topic: "orders.retry", delay: 80, maxRounds: 2 };
    const processedAt = new Map<string, number>();
    const failedAt = new Map<string, number>();
    const handler = (inRetryConsumer: boolean) => (message: { payload: Uint8Array }) => {
      const payload = text(message.payload);
      if (payload === "bad" || (payload === "flaky" && !inRetryConsumer)) {
        failedAt.set(payload, Date.now());
        throw new Error(`${payload} failed`);
      }
      processedAt.set(payload, Date.now());
    };
    const main = new Consumer(
      consumerOptions({ topic: "orders", maxRetries: 0, onExhausted: "retry-topic", retryTopic }),
    )
      .bindSlots(store, store, store)
      .setProcessor(handler(false));
    const retries = new Consumer(
      consumerOptions(
        { topic: "orders.retry", maxRetries: 0, onExhausted: "retry-topic", retryTopic },
        "retries",
      ),
    )
      .bindSlots(store, store, store)
      .setProcessor(handler(true));
    await main.start();
    await retries.start();
    await store.publish("orders", bytes("flaky"));
    await store.publish("orders", bytes("bad"));
    await waitFor(() => retries.health().counters.deadLettered === 1, "bad dead-lettered");
    await waitFor(() => processedAt.has("flaky"), "flaky processed");
    await main.stop();
    await retries.stop();

    expect(main.health().counters.sentToRetryTopic).toBe(2);
    expect(retries.health().counters.sentToRetryTopic).toBe(1); // bad's second round
    // Processed again only after the delay.
    expect(processedAt.get("flaky") as number).toBeGreaterThanOrEqual((failedAt.get("flaky") as number) + 75);
    const [dead] = await store.browse("orders.retry.dlq");
    expect(text(dead?.payload as Uint8Array)).toBe("bad");
    expect(dead?.metadata).toMatchObject({
      [DeadLetterKey.OriginalTopic]: "orders",
      [DeadLetterKey.Error]: "bad failed",
      [RetryTopicKey.Round]: "2",
    });
  });

  it("needs its delay in the config", () => {
    const yaml = `name: x
slots: { message_source: { driver: memstore }, state_store: { driver: memstore } }
behavior: { consumer_group: g, topic: t, on_exhausted: retry-topic }
`;
    expect(() => parseConfigYaml(yaml)).toThrow(ConfigError);
    expect(() => parseConfigYaml(yaml)).toThrow(
      /behavior\.retry_topic: required with on_exhausted: "retry-topic"/,
    );
    const withDelay = parseConfigYaml(
      yaml.replace(
        "on_exhausted: retry-topic",
        "on_exhausted: retry-topic, retry_topic: { delay: 5m, max_rounds: 2 }",
      ),
    );
    expect(withDelay.behavior.retryTopic).toEqual({ delay: 300_000, maxRounds: 2 });
  });
});

describe("on_exhausted: park", () => {
  it("alerts, holds the message and its partition until stop, and gives it back for the next run", async () => {
    const store = new MemStore();
    const processed: string[] = [];
    const options = consumerOptions({
      topic: "orders",
      maxRetries: 0,
      onExhausted: "park",
      shutdownTimeout: "20s",
    });
    const consumer = new Consumer(options).bindSlots(store, store).setProcessor((message) => {
      if (text(message.payload) === "poison") throw new Error("poison pill");
      processed.push(text(message.payload));
    });
    const parked = consumer.once("parked");
    await consumer.start();
    for (const payload of ["a", "poison", "b"]) await store.publish("orders", bytes(payload));
    const event = await parked;
    expect(event.failure.error).toBe("poison pill");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(processed).toEqual(["a"]); // "b" waits behind the parked message
    expect(consumer.health().counters.parked).toBe(1);
    const logs = (options.logger as ReturnType<typeof recordingLogger>).lines;
    expect(logs.some((e) => e.level === "error" && e.message.startsWith("parked message"))).toBe(true);
    const stopping = Date.now();
    await consumer.stop();
    expect(Date.now() - stopping).toBeLessThan(5000); // not the 20 s shutdown timeout

    // After the fix and a restart, the parked message comes again and "b" follows.
    const fixed = new Consumer(consumerOptions({ topic: "orders", maxRetries: 0, onExhausted: "park" }))
      .bindSlots(store, store)
      .setProcessor((message) => {
        processed.push(text(message.payload));
      });
    await fixed.start();
    await waitFor(() => processed.length === 3, "poison and b");
    await fixed.stop();
    expect(processed).toEqual(["a", "poison", "b"]);
  });
});
