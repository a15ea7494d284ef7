import { ConfigError } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { parseKafkaConfig } from "./config.js";

const path = "slots.message_source.config";

function issues(config: Record<string, unknown>): string[] {
  try {
    parseKafkaConfig(config, path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("parseKafkaConfig", () => {
  it("reads the seed's brokers list and every documented key", () => {
    expect(
      parseKafkaConfig(
        {
          brokers: ["localhost:9092", "kafka-2:9093"],
          client_id: "payments",
          ssl: true,
          sasl: { mechanism: "scram-sha-512", username: "svc", password: "s3cret" },
          create_topics: false,
          partitions: 6,
          replication_factor: 3,
          session_timeout: "45s",
          heartbeat_interval: "3s",
          partitions_consumed_concurrently: 4,
          buffer_size: 512,
          commit_interval: "2s",
          connection_timeout: "1500ms",
        },
        path,
      ),
    ).toEqual({
      brokers: ["localhost:9092", "kafka-2:9093"],
      clientId: "payments",
      ssl: true,
      sasl: { mechanism: "scram-sha-512", username: "svc", password: "s3cret" },
      createTopics: false,
      partitions: 6,
      replicationFactor: 3,
      sessionTimeout: 45_000,
      heartbeatInterval: 3000,
      partitionsConsumedConcurrently: 4,
      bufferSize: 512,
      commitInterval: 2000,
      connectionTimeout: 1500,
    });
  });

  it("accepts brokers as one comma-separated string (e.g. from ${KAFKA_BROKERS}) and numeric strings", () => {
    expect(parseKafkaConfig({ brokers: "a:9092, b:9092", partitions: "3", ssl: "true" }, path)).toEqual({
      brokers: ["a:9092", "b:9092"],
      partitions: 3,
      ssl: true,
    });
  });

  it("refuses a bare number as a YAML duration (Go would read nanoseconds), as every driver does", () => {
    expect(issues({ brokers: ["b:9092"], session_timeout: 30, commit_interval: "5000" })).toEqual([
      `${path}.session_timeout: expected a duration with a unit like "5s" or "250ms", got 30`,
      `${path}.commit_interval: expected a duration like "5s", "250ms" or "1m30s", got "5000"`,
    ]);
  });

  it("refuses a duration longer than a timer can wait", () => {
    expect(issues({ brokers: ["b:9092"], session_timeout: "600h" })).toEqual([
      `${path}.session_timeout: "600h" is longer than a timer can wait (at most "596h31m23.647s", about 24.8 days)`,
    ]);
  });

  it("lists every problem by path, never echoing the password", () => {
    expect(
      issues({
        brokers: ["localhost"],
        partitions: 0,
        ssl: "yes",
        session_timeout: "soon",
        sasl: { mechanism: "plain", username: "svc", password: 1234 },
        colour: "blue",
      }),
    ).toEqual([
      `${path}.colour: unknown key; expected one of brokers, client_id, ssl, sasl, create_topics, partitions, replication_factor, session_timeout, heartbeat_interval, buffer_size, commit_interval, connection_timeout, partitions_consumed_concurrently`,
      `${path}.brokers: item 1: expected "host:port", got "localhost"`,
      `${path}.ssl: expected true or false, got "yes"`,
      `${path}.sasl.password: expected a non-empty string, got a number`,
      `${path}.partitions: expected an integer >= 1, got 0`,
      `${path}.session_timeout: expected a duration like "5s", "250ms" or "1m30s", got "soon"`,
    ]);
    expect(issues({})).toEqual([`${path}.brokers: required, e.g. ["localhost:9092"]`]);
    expect(issues({ brokers: ["a:1"], sasl: { mechanism: "gssapi", username: "svc" } })).toEqual([
      `${path}.sasl.mechanism: expected one of "plain", "scram-sha-256", "scram-sha-512", got "gssapi"`,
      `${path}.sasl.password: required`,
    ]);
  });

  it("throws a ConfigError for bad options in code too, and wants brokers or a client", async () => {
    const { KafkaDriver } = await import("./kafka-driver.js");
    const error = await KafkaDriver.connect({
      brokers: [],
      sessionTimeout: "soon",
      heartbeatInterval: 0,
      logger: console.log as never,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'options.brokers: expected a list of "host:port" (or one comma-separated string), got a list',
      'options.sessionTimeout: expected a duration like "5s", "250ms" or "1m30s", got "soon"',
      "options.heartbeatInterval: expected a duration above zero, got 0",
      "options.logger: expected a Logger, got a function",
    ]);
    const missing = await KafkaDriver.connect({}).catch((e: unknown) => e);
    expect((missing as ConfigError).issues).toEqual([
      { path: "options.brokers", message: 'required, e.g. ["localhost:9092"]' },
    ]);
  });
});
