import { type ConsumerConfig, type ConsumerHealth, parseConfigYaml } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { redactEndpoint, slotSummaries } from "./slot-summary.js";

describe("redactEndpoint", () => {
  it("keeps where, drops who and every query parameter", () => {
    expect(redactEndpoint("nats://user:pw@nats.internal:4222")).toBe("nats://***@nats.internal:4222");
    expect(redactEndpoint("nats://tok3n@nats.internal:4222")).toBe("nats://***@nats.internal:4222");
    expect(redactEndpoint("redis://:pw@10.0.0.1:6379/2")).toBe("redis://***@10.0.0.1:6379/2");
    expect(redactEndpoint("postgres://app@db:5432/orders?password=pw&sslmode=require")).toBe(
      "postgres://***@db:5432/orders",
    );
    expect(redactEndpoint("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
    expect(redactEndpoint("kafka-1.internal:9092")).toBe("kafka-1.internal:9092");
    expect(redactEndpoint("[::1]:4222")).toBe("[::1]:4222");
  });

  it("leaves out what it cannot read as a URL or host:port", () => {
    expect(redactEndpoint("host=db user=app password=pw")).toBeUndefined();
    expect(redactEndpoint("pw@db:5432")).toBeUndefined();
  });
});

describe("slotSummaries", () => {
  const config: ConsumerConfig = parseConfigYaml(`name: orders
slots:
  message_source:
    driver: kafka
    config: { brokers: ["k1:9092", "k2:9092"], sasl: { mechanism: plain, username: app, password: kafka-pw } }
  state_store: { driver: postgres, config: { url: "postgres://app:pg-pw@db:5432/app?sslmode=require", password: other-pw } }
  dead_letter_queue: { driver: mydb, package: "@acme/prism-mydb", config: { dsn: "mydb://root:mydb-pw@h" } }
behavior: { consumer_group: g, topic: t }
`);
  const health = {
    status: "running",
    drivers: { messageSource: { connected: false, reconnects: 3, lastError: "connection refused" } },
  } as unknown as ConsumerHealth;

  it("names each slot's driver, its package and endpoint, and its connection — never a credential", () => {
    const summaries = slotSummaries(config, health);
    expect(summaries).toEqual([
      {
        slot: "message_source",
        driver: "kafka",
        endpoint: "k1:9092, k2:9092",
        connected: false,
        reconnects: 3,
        lastError: "connection refused",
      },
      { slot: "state_store", driver: "postgres", endpoint: "postgres://***@db:5432/app" },
      { slot: "dead_letter_queue", driver: "mydb", package: "@acme/prism-mydb" },
    ]);
    expect(JSON.stringify(summaries)).not.toMatch(/pw|app:|root/);
  });
});
