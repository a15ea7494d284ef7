import { ConfigError, PrismErrorCode, silentLogger } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { deleteKeysUnder, uniquePrefix } from "../test/redis-test-support.js";
import { redisDriver } from "./driver.js";
import { RedisDriver } from "./redis-driver.js";

const redis = await backend("redis");
const context = { slot: "stateStore", path: "slots.state_store.config", logger: silentLogger } as const;

describe("redisDriver (the factory for driver: redis)", () => {
  it("reports bad keys by path before connecting", async () => {
    const error = await Promise.resolve()
      .then(() => redisDriver({ address: "127.0.0.1:1", pool_size: "ten" }, context))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { path: "slots.state_store.config.pool_size", message: 'expected an integer >= 1, got "ten"' },
    ]);
  });

  it("fails fast, not hangs, when the server is unreachable", async () => {
    const error = await Promise.resolve(redisDriver({ address: "127.0.0.1:1" }, context)).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: PrismErrorCode.BackendUnavailable, retryable: true });
  });

  it.runIf(redis.available)("connects with the seed's keys and stores under key_prefix", async () => {
    const url = new URL(redis.url);
    const keyPrefix = uniquePrefix("factory");
    const driver = (await redisDriver(
      { address: `${url.hostname}:${url.port || 6379}`, pool_size: 10, key_prefix: keyPrefix },
      context,
    )) as RedisDriver;
    try {
      expect(driver).toBeInstanceOf(RedisDriver);
      await driver.set("k", new TextEncoder().encode("v"));
      expect(await deleteKeysUnder(redis.url, keyPrefix)).toBe(1);
    } finally {
      await driver.close();
    }
  });
});
