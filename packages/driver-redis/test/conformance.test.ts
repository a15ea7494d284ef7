import { silentLogger } from "@prism/consumer-core";
import {
  type CreatedNames,
  describeKeyValueConformance,
  describeQueueConformance,
} from "@prism/consumer-testkit";
import { afterAll, describe, expect } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { RedisDriver } from "../src/index.js";
import { deleteKeys, deleteKeysUnder, uniquePrefix } from "./redis-test-support.js";

const redis = await backend("redis");
const keyPrefix = uniquePrefix("conformance");

describe.runIf(redis.available)("redis (real server)", () => {
  // The kit deletes the streams and keys it created; anything left under the prefix means it missed some.
  afterAll(async () => expect(await deleteKeysUnder(redis.url, keyPrefix)).toBe(0));
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
      RedisDriver.connect({ url: redis.url, keyPrefix, claimIdle: 500, block: 200, logger: silentLogger }),
    features: { consumerGroups: true, persistent: true, ordered: true, resumable: false },
    harness: { quietMs: 1500, restartServer: redis.restarter(), deleteCreated },
  });

  describeKeyValueConformance({
    name: "redis",
    create: () => RedisDriver.connect({ url: redis.url, keyPrefix, logger: silentLogger }),
    features: { ttl: true, compareAndSet: true },
    harness: { deleteCreated },
  });
});
