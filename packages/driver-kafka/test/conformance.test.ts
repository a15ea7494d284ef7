import {
  type CreatedNames,
  describePubSubConformance,
  describeQueueConformance,
} from "@prism/consumer-testkit";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { KafkaDriver } from "../src/index.js";

const kafka = await backend("kafka");
const brokers = kafka.url.split(",");
const namePrefix = `prism-ct-${Date.now().toString(36)}`;

/** Runs `work` with a connected kafkajs admin client. */
async function withAdmin<T>(work: (admin: ReturnType<Kafka["admin"]>) => Promise<T>): Promise<T> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the topics and consumer groups the kit created (those that exist: a group may be gone). */
const deleteCreated = ({ topics, groups }: CreatedNames) =>
  withAdmin(async (admin) => {
    const existingGroups = new Set((await admin.listGroups()).groups.map((group) => group.groupId));
    const ourGroups = groups.filter((group) => existingGroups.has(group));
    if (ourGroups.length > 0) await admin.deleteGroups(ourGroups);
    const existingTopics = new Set(await admin.listTopics());
    const ourTopics = topics.filter((topic) => existingTopics.has(topic));
    if (ourTopics.length > 0) await admin.deleteTopics({ topics: ourTopics });
  });

// Three partitions, so ordering, sharing and resuming are checked per partition.
const connect = () =>
  KafkaDriver.connect({ brokers, partitions: 3, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 });
const features = { consumerGroups: true, persistent: true, ordered: true, resumable: true } as const;
const harness = {
  quietMs: 2000,
  timeoutMs: 60_000,
  namePrefix,
  restartServer: kafka.available ? kafka.restarter() : undefined,
  deleteCreated,
};

describe.runIf(kafka.available)("kafka", () => {
  afterAll(async () => {
    const left = await withAdmin(async (admin) => ({
      topics: (await admin.listTopics()).filter((topic) => topic.startsWith(namePrefix)),
      groups: (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith(namePrefix)),
    }));
    expect(left).toEqual({ topics: [], groups: [] });
  });
  describePubSubConformance({ name: "kafka", create: connect, features, harness });
  describeQueueConformance({ name: "kafka", create: connect, features, harness });
});
