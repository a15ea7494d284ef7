import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadConfigFile } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { settings } from "../scripts/services/probe.mjs";

const examples = (file: string) => fileURLToPath(new URL(`../examples/${file}`, import.meta.url));
/** What the tests connect to without any variable set: this checkout's servers (`pnpm services:up`). */
const testDefault = (name: "postgres" | "redis" | "nats" | "kafka") => settings(name, {}).raw;

/** examples/connections.mjs as a fresh process sees it with exactly these variables. */
function exampleConnections(env: Record<string, string>): Record<string, unknown> {
  const script = `import(${JSON.stringify(examples("connections.mjs"))}).then((c) => console.log(JSON.stringify(c)))`;
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  return JSON.parse(output.toString());
}

describe("the examples connect where the tests do", () => {
  it("the example YAML files default to the tests' servers", async () => {
    const natsRedis = await loadConfigFile(examples("order-processor.nats-redis.yaml"), { env: {} });
    expect(natsRedis.slots.messageSource.config?.url).toBe(testDefault("nats"));
    expect(natsRedis.slots.deadLetterQueue?.config?.url).toBe(testDefault("nats"));
    expect(natsRedis.slots.stateStore.config?.url).toBe(testDefault("redis"));
    const kafkaPostgres = await loadConfigFile(examples("payment-processor.kafka-postgres.yaml"), {
      env: {},
    });
    expect(kafkaPostgres.slots.messageSource.config?.brokers).toBe(testDefault("kafka"));
    expect(kafkaPostgres.slots.stateStore.config?.url).toBe(testDefault("postgres"));
    expect(kafkaPostgres.slots.deadLetterQueue?.config?.url).toBe(testDefault("postgres"));
  });

  it("examples/connections.mjs reads the tests' variables, with the tests' defaults", () => {
    expect(exampleConnections({})).toMatchObject({
      databaseUrl: testDefault("postgres"),
      redisUrl: testDefault("redis"),
      natsUrl: testDefault("nats"),
      kafkaBrokers: [testDefault("kafka")],
    });
    const elsewhere = {
      DATABASE_URL: "postgres://app@db.internal:5432/orders",
      REDIS_URL: "redis://cache.internal:6379",
      NATS_URL: "nats://nats.internal:4222",
      KAFKA_BROKERS: "k1.internal:9092,k2.internal:9092",
    };
    expect(exampleConnections(elsewhere)).toMatchObject({
      databaseUrl: elsewhere.DATABASE_URL,
      redisUrl: elsewhere.REDIS_URL,
      natsUrl: elsewhere.NATS_URL,
      kafkaBrokers: ["k1.internal:9092", "k2.internal:9092"],
      connectionVariables: elsewhere,
    });
  });

  it("a second checkout's ports (PRISM_<SERVICE>_PORT) move the tests and the examples together", () => {
    const ports = { PRISM_REDIS_PORT: "26379", PRISM_KAFKA_PORT: "29092" };
    expect(exampleConnections(ports)).toMatchObject({
      redisUrl: settings("redis", ports).raw,
      kafkaBrokers: [settings("kafka", ports).raw],
    });
    expect(settings("redis", ports).raw).toBe("redis://127.0.0.1:26379");
  });
});
