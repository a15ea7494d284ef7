import { silentLogger } from "@prism/consumer-core";
import { describePubSubConformance, describeQueueConformance } from "@prism/consumer-testkit";
import { afterAll, describe } from "vitest";
import { restart } from "../../../scripts/services/restart.mjs";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver } from "../src/index.js";
import { deleteStreamsContaining, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const namePrefix = uniquePrefix("ct");

const restartServer = async () => {
  await restart("nats");
};

describe.runIf(nats.available)("nats (real server)", () => {
  afterAll(() => deleteStreamsContaining(nats.url, namePrefix));

  // Core NATS keeps nothing: no persistence, no resume, so those cases (and the restart case) are skipped.
  describePubSubConformance({
    name: "nats core",
    create: () => NatsDriver.connect({ url: nats.url, jetstream: false, logger: silentLogger }),
    features: { consumerGroups: true, persistent: false, ordered: true, resumable: false },
    harness: { namePrefix: `${namePrefix}-core` },
  });

  // A short ack_wait so unacknowledged messages come back quickly; quietMs watches longer than that.
  describePubSubConformance({
    name: "nats jetstream",
    create: () => NatsDriver.connect({ url: nats.url, ackWait: "2s", logger: silentLogger }),
    features: { consumerGroups: true, persistent: true, ordered: true, resumable: true },
    harness: { namePrefix: `${namePrefix}-js`, quietMs: 2500, restartServer },
  });

  describeQueueConformance({
    name: "nats jetstream",
    create: () => NatsDriver.connect({ url: nats.url, ackWait: "2s", logger: silentLogger }),
    // resumable: a new group's durable starts after the checkpoint (an existing one follows its acks).
    features: { consumerGroups: true, persistent: true, ordered: true, resumable: true },
    harness: { namePrefix: `${namePrefix}-queue`, quietMs: 2500, restartServer },
  });
});
