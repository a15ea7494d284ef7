import { silentLogger } from "@prism/consumer-core";
import {
  describeKeyValueConformance,
  describePubSubConformance,
  describeQueueConformance,
} from "@prism/consumer-testkit";
import { afterAll, describe } from "vitest";
import { restart } from "../../../scripts/services/restart.mjs";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver } from "../src/index.js";
import { supportsMessageTtl } from "../src/internal/kv-store.js";
import { deleteStreamsContaining, serverVersion, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const namePrefix = uniquePrefix("ct");
// Per-key TTL is declared only where the server has per-message TTL (NATS 2.11+), as the driver decides.
const keyTtl = nats.available && supportsMessageTtl(await serverVersion(nats.url));

const restartServer = async () => {
  await restart("nats");
};

describe.runIf(nats.available)("nats (real server)", () => {
  // Also deletes the KV bucket: its stream is KV_{kvBucket}, and the bucket name contains the prefix.
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
    features: {
      consumerGroups: true,
      persistent: true,
      ordered: true,
      resumable: true,
      acknowledgedSubscriptions: true,
    },
    harness: { namePrefix: `${namePrefix}-js`, quietMs: 2500, restartServer },
  });

  describeQueueConformance({
    name: "nats jetstream",
    create: () => NatsDriver.connect({ url: nats.url, ackWait: "2s", logger: silentLogger }),
    // resumable: a new group's durable starts after the checkpoint (an existing one follows its acks).
    features: { consumerGroups: true, persistent: true, ordered: true, resumable: true },
    harness: { namePrefix: `${namePrefix}-queue`, quietMs: 2500, restartServer },
  });

  describeKeyValueConformance({
    name: "nats kv",
    create: () => NatsDriver.connect({ url: nats.url, kvBucket: `${namePrefix}-kv`, logger: silentLogger }),
    features: { ttl: keyTtl, compareAndSet: true },
    harness: { namePrefix: `${namePrefix}-kv` },
  });
});
