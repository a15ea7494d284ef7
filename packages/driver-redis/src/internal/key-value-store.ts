import type { CompareAndSetStore, KeyValueBasicInterface } from "@prism/consumer-core/driver";
import type { Redis } from "ioredis";
import { mapRedisError } from "../errors.js";

/**
 * SET only while the key holds ARGV[1] (ARGV[3] = "1": while it is absent). Atomic: a script runs alone.
 * Returns 1 when it stored.
 */
const compareAndSetScript = `
local current = redis.call("GET", KEYS[1])
if ARGV[3] == "1" then
  if current then return 0 end
elseif current ~= ARGV[1] then
  return 0
end
redis.call("SET", KEYS[1], ARGV[2])
return 1`;

/** Key/value on plain Redis strings: SET with PX for TTLs, binary-safe reads through the Buffer API. */
export class KeyValueStore implements KeyValueBasicInterface, CompareAndSetStore {
  constructor(
    private readonly client: Redis,
    private readonly keyPrefix: string,
  ) {}

  async set(key: string, value: Uint8Array, ttlSeconds = 0): Promise<void> {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0) {
      throw new RangeError(`redis set("${key}"): ttlSeconds must be a number >= 0, got ${ttlSeconds}`);
    }
    // A copy: the command may wait in the offline queue while the caller reuses its buffer.
    const stored = Buffer.from(value);
    const redisKey = this.keyPrefix + key;
    try {
      if (ttlSeconds > 0) {
        // PX keeps sub-second TTLs; at least 1 ms, since PX 0 is an error.
        await this.client.set(redisKey, stored, "PX", Math.max(1, Math.round(ttlSeconds * 1000)));
      } else {
        // A plain SET also clears any TTL the key had.
        await this.client.set(redisKey, stored);
      }
    } catch (error) {
      throw mapRedisError(error, `SET "${redisKey}"`);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const redisKey = this.keyPrefix + key;
    try {
      const value = await this.client.getBuffer(redisKey);
      // A copy as a plain Uint8Array: callers get no Buffer-specific behaviour and no shared memory.
      return value === null ? undefined : new Uint8Array(value);
    } catch (error) {
      throw mapRedisError(error, `GET "${redisKey}"`);
    }
  }

  async delete(key: string): Promise<void> {
    const redisKey = this.keyPrefix + key;
    try {
      await this.client.del(redisKey);
    } catch (error) {
      throw mapRedisError(error, `DEL "${redisKey}"`);
    }
  }

  async compareAndSet(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    const redisKey = this.keyPrefix + key;
    const absent = expected === undefined ? "1" : "0";
    try {
      const stored = await this.client.eval(
        compareAndSetScript,
        1,
        redisKey,
        Buffer.from(expected ?? new Uint8Array()),
        Buffer.from(value),
        absent,
      );
      return stored === 1;
    } catch (error) {
      throw mapRedisError(error, `compare-and-set "${redisKey}"`);
    }
  }

  async exists(key: string): Promise<boolean> {
    const redisKey = this.keyPrefix + key;
    try {
      return (await this.client.exists(redisKey)) === 1;
    } catch (error) {
      throw mapRedisError(error, `EXISTS "${redisKey}"`);
    }
  }
}
