import { describePubSubConformance, describeQueueConformance } from "@prism/consumer-testkit";
import { describe } from "vitest";
import { restart } from "../../../scripts/services/restart.mjs";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { KafkaDriver } from "../src/index.js";

const kafka = await backend("kafka");
const brokers = kafka.url.split(",");

// Three partitions, so ordering, sharing and resuming are checked per partition.
const connect = () =>
  KafkaDriver.connect({ brokers, partitions: 3, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 });
const features = { consumerGroups: true, persistent: true, ordered: true, resumable: true } as const;
const harness = {
  quietMs: 2000,
  timeoutMs: 60_000,
  restartServer: async () => void (await restart("kafka")),
};

describe.runIf(kafka.available)("kafka", () => {
  describePubSubConformance({ name: "kafka", create: connect, features, harness });
  describeQueueConformance({ name: "kafka", create: connect, features, harness });
});
