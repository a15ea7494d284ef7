import { silentLogger } from "@prism/consumer-core";
import {
  type CreatedNames,
  describeConsumerConformance,
  describeKeyValueConformance,
  describeQueueConformance,
  tcpProxy,
} from "@prism/consumer-testkit";
import { afterAll, describe, expect } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { RedisDriver, redisDriver } from "../src/index.js";
import { deleteKeys, deleteKeysUnder, uniquePrefix } from "./redis-test-support.js";

const redis = await backend("redis");
const keyPrefix = uniquePrefix("conformance");
// The queue cases connect through a proxy, so the kit can also cut connections with the server up.
const proxy = redis.available ? await tcpProxy({ target: redis.url }) : undefined;

describe.runIf(redis.available)("redis (real server)", () => {
  // The kit deletes the streams and keys it created; anything left under the prefix means it missed some.
  afterAll(async () => {
    await proxy?.close();
    expect(await deleteKeysUnder(redis.url, keyPrefix)).toBe(0);
  });
  const deleteCreated = async ({ topics, keys }: CreatedNames) => {
    await deleteKeys(
      redis.url,
      [...topics, ...keys].map((name) => keyPrefix + name),
    );
  };

  describeQueueConformance({
    name: "redis",
    // Pending messages of a stopped receiver are reclaimed after 500 ms, so the crash cases run quickly.
    create: () =>
      RedisDriver.connect({
        url: proxy?.url ?? redis.url,
        keyPrefix,
        claimIdle: 500,
        block: 200,
        logger: silentLogger,
      }),
    features: {
      membersShare: true,
      everyGroupGetsAll: true,
      readsHistory: true,
      keepsWhileIdle: true,
      ordered: true,
      resumable: false,
      maxUnsettled: 100,
    },
    harness: {
      quietMs: 1500,
      restartServer: redis.restarter(),
      cutConnections: () => proxy?.cut(),
      deleteCreated,
    },
  });

  describeKeyValueConformance({
    name: "redis",
    create: () => RedisDriver.connect({ url: redis.url, keyPrefix, logger: silentLogger }),
    features: { ttl: true, compareAndSet: true },
    harness: { deleteCreated },
  });

  describeConsumerConformance({
    name: "redis",
    driver: redisDriver,
    config: { url: redis.url, key_prefix: keyPrefix, claim_idle: "500ms", block: "200ms" },
    unreachableConfig: { url: "redis://127.0.0.1:1", connect_timeout: "2s" },
    source: "queue",
    stateStore: true,
    maxUnsettled: 100,
    harness: { quietMs: 1500, deleteCreated },
  });
});
