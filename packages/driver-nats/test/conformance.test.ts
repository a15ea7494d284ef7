import { silentLogger } from "@prism/consumer-core";
import {
  type CreatedNames,
  describeKeyValueConformance,
  describePubSubConformance,
  describeQueueConformance,
} from "@prism/consumer-testkit";
import { afterAll, describe, expect } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver } from "../src/index.js";
import { supportsMessageTtl } from "../src/internal/kv-store.js";
import { defaultStreamTemplate, streamNameFor } from "../src/internal/names.js";
import { deleteStreams, deleteStreamsContaining, serverVersion, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const namePrefix = uniquePrefix("ct");
// Per-key TTL is declared only where the server has per-message TTL (NATS 2.11+), as the driver decides.
const keyTtl = nats.available && supportsMessageTtl(await serverVersion(nats.url));

const restartServer = nats.available ? nats.restarter() : undefined;
// The streams the driver made for the kit's subjects (their durables go with them).
const deleteCreated = ({ topics }: CreatedNames) =>
  deleteStreams(
    nats.url,
    topics.map((topic) => streamNameFor(defaultStreamTemplate, topic)),
  );
const kvBucket = `${namePrefix}-kv`;

describe.runIf(nats.available)("nats (real server)", () => {
  // The kit deleted its streams; what is left under the prefix must be this file's KV bucket alone.
  afterAll(async () =>
    expect(await deleteStreamsContaining(nats.url, namePrefix)).toEqual([`KV_${kvBucket}`]),
  );

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
    harness: { namePrefix: `${namePrefix}-js`, quietMs: 2500, restartServer, deleteCreated },
  });

  describeQueueConformance({
    name: "nats jetstream",
    create: () => NatsDriver.connect({ url: nats.url, ackWait: "2s", logger: silentLogger }),
    // resumable: a new group's durable starts after the checkpoint (an existing one follows its acks).
    features: { consumerGroups: true, persistent: true, ordered: true, resumable: true },
    harness: { namePrefix: `${namePrefix}-queue`, quietMs: 2500, restartServer, deleteCreated },
  });

  describeKeyValueConformance({
    name: "nats kv",
    create: () => NatsDriver.connect({ url: nats.url, kvBucket, logger: silentLogger }),
    features: { ttl: keyTtl, compareAndSet: true },
    harness: { namePrefix: `${namePrefix}-kv` },
  });
});
