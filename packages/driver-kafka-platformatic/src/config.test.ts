import { ConfigError } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { parsePlatformaticKafkaConfig } from "./config.js";

const path = "slots.message_source.config";

function issues(config: Record<string, unknown>): string[] {
  try {
    parsePlatformaticKafkaConfig(config, path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("parsePlatformaticKafkaConfig", () => {
  it("reads the keys both Kafka drivers share, and fetch_max_bytes", () => {
    expect(
      parsePlatformaticKafkaConfig(
        {
          brokers: "localhost:9092,kafka-2:9093",
          client_id: "payments",
          sasl: { mechanism: "plain", username: "svc", password: "s3cret" },
          partitions: 6,
          session_timeout: "45s",
          heartbeat_interval: "3s",
          fetch_max_bytes: 65536,
        },
        path,
      ),
    ).toEqual({
      brokers: ["localhost:9092", "kafka-2:9093"],
      clientId: "payments",
      sasl: { mechanism: "plain", username: "svc", password: "s3cret" },
      partitions: 6,
      sessionTimeout: 45_000,
      heartbeatInterval: 3000,
      fetchMaxBytes: 65536,
    });
  });

  it("wants brokers, refuses kafkajs-only keys, and never echoes the password", () => {
    expect(
      issues({
        partitions_consumed_concurrently: 4,
        sasl: { mechanism: "plain", username: "u", password: 7 },
      }),
    ).toEqual([
      `${path}.partitions_consumed_concurrently: unknown key; expected one of brokers, client_id, ssl, sasl, create_topics, partitions, replication_factor, session_timeout, heartbeat_interval, buffer_size, commit_interval, connection_timeout, fetch_max_bytes`,
      `${path}.sasl.password: expected a non-empty string, got a number`,
      `${path}.brokers: required, e.g. ["localhost:9092"]`,
    ]);
  });
});
