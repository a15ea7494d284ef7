import { silentLogger } from "@prism/consumer-core";
import {
  type CreatedNames,
  describeConsumerConformance,
  describeKeyValueConformance,
  describePubSubConformance,
  describeQueueConformance,
} from "@prism/consumer-testkit";
import { afterAll, describe, expect } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver, natsDriver } from "../src/index.js";
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

  // JetStream keeps everything and shares a durable between members; every group has its own durable.
  const jetStream = {
    membersShare: true,
    everyGroupGetsAll: true,
    readsHistory: true,
    keepsWhileIdle: true,
    ordered: true,
    resumable: true,
    maxUnsettled: 64, // fetchBatch's default
  } as const;

  // Core NATS keeps nothing: no history, nothing kept while idle, no resume (nor the restart case).
  describePubSubConformance({
    name: "nats core",
    create: () => NatsDriver.connect({ url: nats.url, jetstream: false, logger: silentLogger }),
    features: {
      membersShare: true,
      everyGroupGetsAll: true,
      readsHistory: false,
      keepsWhileIdle: false,
      ordered: true,
      resumable: false,
    },
    harness: { namePrefix: `${namePrefix}-core` },
  });

  // A short ack_wait so unacknowledged messages come back quickly; quietMs watches longer than that.
  describePubSubConformance({
    name: "nats jetstream",
    create: () => NatsDriver.connect({ url: nats.url, ackWait: "2s", logger: silentLogger }),
    features: { ...jetStream, acknowledgedSubscriptions: true },
    harness: { namePrefix: `${namePrefix}-js`, quietMs: 2500, restartServer, deleteCreated },
  });

  describeQueueConformance({
    name: "nats jetstream",
    create: () => NatsDriver.connect({ url: nats.url, ackWait: "2s", logger: silentLogger }),
    // resumable: a new group's durable starts after the checkpoint (an existing one follows its acks).
    features: jetStream,
    harness: { namePrefix: `${namePrefix}-queue`, quietMs: 2500, restartServer, deleteCreated },
  });

  describeKeyValueConformance({
    name: "nats kv",
    create: () => NatsDriver.connect({ url: nats.url, kvBucket, logger: silentLogger }),
    features: { ttl: keyTtl, compareAndSet: true },
    harness: { namePrefix: `${namePrefix}-kv` },
  });

  // The consumer through JetStream pub/sub and as a queue; the state in the KV bucket, the DLQ a stream.
  const config = { url: nats.url, ack_wait: "2s", kv_bucket: kvBucket };
  for (const source of ["pubsub", "queue"] as const) {
    describeConsumerConformance({
      name: "nats",
      driver: natsDriver,
      config,
      unreachableConfig: { url: "nats://127.0.0.1:1", password: "s3cret-pw", user: "prism" },
      source,
      stateStore: true,
      maxUnsettled: jetStream.maxUnsettled,
      harness: { namePrefix: `${namePrefix}-consumer-${source}`, quietMs: 2500, deleteCreated },
    });
  }
});
