import { silentLogger } from "@prism/consumer-core";
import { describeKeyValueConformance, describeQueueConformance } from "@prism/consumer-testkit";
import { afterAll, describe } from "vitest";
import { restart } from "../../../scripts/services/restart.mjs";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { RedisDriver } from "../src/index.js";
import { deleteKeysUnder, uniquePrefix } from "./redis-test-support.js";

const redis = await backend("redis");
const keyPrefix = uniquePrefix("conformance");

describe.runIf(redis.available)("redis (real server)", () => {
  afterAll(() => deleteKeysUnder(redis.url, keyPrefix));

  describeQueueConformance({
    name: "redis",
    // Pending messages of a stopped receiver are reclaimed after 500 ms, so the crash cases run quickly.
    create: () =>
      RedisDriver.connect({ url: redis.url, keyPrefix, claimIdle: 500, block: 200, logger: silentLogger }),
    features: { consumerGroups: true, persistent: true, ordered: true, resumable: false },
    harness: {
      quietMs: 1500,
      restartServer: async () => {
        await restart("redis");
      },
    },
  });

  describeKeyValueConformance({
    name: "redis",
    create: () => RedisDriver.connect({ url: redis.url, keyPrefix, logger: silentLogger }),
    features: { ttl: true, compareAndSet: true },
  });
});
