import {
  type CreatedNames,
  describeConsumerConformance,
  describePubSubConformance,
  describeQueueConformance,
} from "@prism/consumer-testkit";
import { afterAll, describe, expect } from "vitest";
import { backend } from "../../../../scripts/test-support/backends.mjs";
import { deleteTopicsAndGroups, topicsAndGroupsContaining } from "./kafka-test-support.js";
import type { KafkaUnderTest } from "./kafka-under-test.js";

const kafka = await backend("kafka");
const brokers = kafka.url.split(",");

/**
 * The conformance kit's pub/sub and queue suites, and its consumer suite through both interfaces, for the
 * Kafka driver `under`, on 3-partition topics.
 */
export function describeKafkaConformance(under: KafkaUnderTest, name: string): void {
  const namePrefix = `prism-ct-${name}-${Date.now().toString(36)}`;
  const deleteCreated = (created: CreatedNames) => deleteTopicsAndGroups(brokers, created);
  // Three partitions, so ordering, sharing and resuming are checked per partition.
  const connect = () =>
    under.connect({ brokers, partitions: 3, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const features = {
    membersShare: true,
    everyGroupGetsAll: true,
    readsHistory: true,
    keepsWhileIdle: true,
    ordered: true,
    resumable: true,
    maxUnsettled: 100,
  } as const;
  const harness = {
    quietMs: 2000,
    timeoutMs: 60_000,
    namePrefix,
    restartServer: kafka.available ? kafka.restarter() : undefined,
    deleteCreated,
  };

  describe.runIf(kafka.available)(`${name} (${under.label})`, () => {
    // The kit deleted the topics and groups it created: nothing of this run may be left.
    afterAll(async () => {
      expect(await topicsAndGroupsContaining(brokers, namePrefix)).toEqual({ topics: [], groups: [] });
    });
    describePubSubConformance({ name, create: connect, features, harness });
    describeQueueConformance({ name, create: connect, features, harness });
    for (const source of ["pubsub", "queue"] as const) {
      describeConsumerConformance({
        name,
        driver: under.factory,
        config: { brokers, partitions: 3, session_timeout: "10s", heartbeat_interval: "1s" },
        unreachableConfig: { brokers: ["127.0.0.1:1"], connection_timeout: "2s" },
        source,
        maxUnsettled: features.maxUnsettled,
        harness: { ...harness, namePrefix: `${namePrefix}-consumer-${source}` },
      });
    }
  });
}
