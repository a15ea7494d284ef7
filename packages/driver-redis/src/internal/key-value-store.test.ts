import { silentLogger } from "@prism/consumer-core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backend } from "../../../../scripts/test-support/backends.mjs";
import { deleteKeysUnder, uniquePrefix } from "../../test/redis-test-support.js";
import { RedisDriver } from "../redis-driver.js";

const redis = await backend("redis");
const keyPrefix = uniquePrefix("kv");

describe.runIf(redis.available)("RedisDriver key/value", () => {
  let admin: Redis;
  let driver: RedisDriver;

  beforeAll(async () => {
    admin = new Redis(redis.url);
    driver = await RedisDriver.connect({ url: redis.url, keyPrefix, logger: silentLogger });
  });
  afterAll(async () => {
    await driver.close();
    await deleteKeysUnder(redis.url, keyPrefix);
    admin.disconnect();
  });

  it("stores under key_prefix + key", async () => {
    await driver.set("state", new TextEncoder().encode("{}"));
    expect(await admin.get(`${keyPrefix}state`)).toBe("{}");
  });

  it("sets sub-second TTLs in milliseconds (PX)", async () => {
    await driver.set("short", new Uint8Array([1]), 0.25);
    const ttl = await admin.pttl(`${keyPrefix}short`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(250);
  });

  it("rejects a negative or non-finite TTL before sending anything", async () => {
    await expect(driver.set("bad", new Uint8Array(), -1)).rejects.toThrow(RangeError);
    await expect(driver.set("bad", new Uint8Array(), Number.NaN)).rejects.toThrow(RangeError);
    expect(await admin.exists(`${keyPrefix}bad`)).toBe(0);
  });
});
