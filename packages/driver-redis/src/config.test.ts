import { ConfigError } from "@prism/consumer-core";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { parseRedisConfig, resolveRedisSettings } from "./config.js";

const path = "slots.state_store.config";

/** The issues, as "path: message", that `action` throws as a ConfigError. */
function issuesOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("parseRedisConfig (YAML keys)", () => {
  it("refuses a duration longer than a timer can wait", () => {
    expect(issuesOf(() => parseRedisConfig({ claim_idle: "600h" }, path))).toEqual([
      `${path}.claim_idle: "600h" is longer than a timer can wait (at most "596h31m23.647s", about 24.8 days)`,
    ]);
  });

  it("accepts the seed's keys and every documented one", () => {
    expect(parseRedisConfig({ address: "localhost:6379", pool_size: 10 }, path)).toEqual({
      address: "localhost:6379",
      poolSize: 10,
    });
    const all = {
      url: "rediss://user:secret@redis.example:6380/2",
      username: "app",
      password: "secret",
      db: 3,
      tls: true,
      connect_timeout: "2s",
      pool_size: 4,
      key_prefix: "app:",
      claim_idle: "1m",
      block: "250ms",
      batch_size: 64,
      max_len: 100_000,
    };
    expect(parseRedisConfig(all, path)).toEqual({
      url: all.url,
      username: "app",
      password: "secret",
      db: 3,
      tls: true,
      connectTimeout: 2000,
      poolSize: 4,
      keyPrefix: "app:",
      claimIdle: 60_000,
      block: 250,
      batchSize: 64,
      maxLen: 100_000,
    });
  });

  it("lists every bad key by path", () => {
    const issues = issuesOf(() =>
      parseRedisConfig(
        {
          address: "localhost:port",
          username: 7,
          db: -1,
          tls: "yes",
          connect_timeout: "soon",
          pool_size: 0,
          key_prefix: ["a"],
          claim_idle: 30,
          block: "0s",
          batch_size: 1.5,
          max_len: -5,
          poolsize: 10,
        },
        path,
      ),
    );
    // The wording every driver and core share (one options mechanism).
    expect(issues).toEqual([
      `${path}.poolsize: unknown key; expected one of url, address, username, password, db, tls, ` +
        "connect_timeout, pool_size, key_prefix, claim_idle, block, batch_size, max_len",
      `${path}.address: expected "host:port", got "localhost:port"`,
      `${path}.username: expected a string, got 7`,
      `${path}.db: expected an integer >= 0, got -1`,
      `${path}.tls: expected true or false, got "yes"`,
      `${path}.connect_timeout: expected a duration like "5s", "250ms" or "1m30s", got "soon"`,
      `${path}.pool_size: expected an integer >= 1, got 0`,
      `${path}.key_prefix: expected a string, got a list`,
      `${path}.claim_idle: expected a duration with a unit like "5s" or "250ms", got 30`,
      `${path}.block: expected a duration above zero, got "0s"`,
      `${path}.batch_size: expected an integer >= 1, got 1.5`,
      `${path}.max_len: expected an integer >= 0, got -5`,
    ]);
  });

  it("rejects url and address together, and URLs that are not redis", () => {
    expect(issuesOf(() => parseRedisConfig({ url: "redis://a:6379", address: "b:6379" }, path))).toEqual([
      `${path}.url: give either url or address, not both`,
    ]);
    expect(issuesOf(() => parseRedisConfig({ url: "http://host:6379" }, path))).toEqual([
      `${path}.url: expected a redis:// or rediss:// URL, got "http://host:6379/"`,
    ]);
  });

  it("never echoes a password, in the password key or in a URL", () => {
    const issues = issuesOf(() =>
      parseRedisConfig({ password: 123456789, url: "https://user:hunter2-secret@host" }, path),
    );
    expect(issues).toEqual([
      `${path}.url: expected a redis:// or rediss:// URL, got "https://user:***@host/"`,
      `${path}.password: expected a string, got a number`,
    ]);
    expect(issues.join("\n")).not.toMatch(/123456789|hunter2/);
  });
});

describe("the options every driver reads alike", () => {
  it("takes integers, booleans and durations written as text in YAML (what ${VAR} gives)", () => {
    expect(parseRedisConfig({ db: "2", tls: "true", pool_size: "4", claim_idle: "5s" }, path)).toEqual({
      db: 2,
      tls: true,
      poolSize: 4,
      claimIdle: 5000,
    });
  });

  it("refuses a bare-number duration in YAML (ambiguous: Go reads nanoseconds), takes milliseconds in code", () => {
    expect(issuesOf(() => parseRedisConfig({ block: 250 }, path))).toEqual([
      `${path}.block: expected a duration with a unit like "5s" or "250ms", got 250`,
    ]);
    expect(resolveRedisSettings({ block: 250 }).blockMs).toBe(250);
  });

  it("throws a ConfigError for bad options in code too", () => {
    expect(issuesOf(() => resolveRedisSettings({ poolSize: 0, block: "soon" }))).toEqual([
      "options.poolSize: expected an integer >= 1, got 0",
      'options.block: expected a duration like "5s", "250ms" or "1m30s", got "soon"',
    ]);
  });
});

describe("resolveRedisSettings (TypeScript options)", () => {
  it("applies the defaults", () => {
    expect(resolveRedisSettings({})).toEqual({
      connection: { url: undefined, options: { host: "127.0.0.1", port: 6379 }, where: "127.0.0.1:6379" },
      connectTimeoutMs: 5000,
      poolSize: 10,
      keyPrefix: "",
      claimIdleMs: 10_000,
      blockMs: 1000,
      batchSize: 32,
      maxLen: 0,
    });
  });

  it("takes durations as text or milliseconds, and explicit keys over the URL's", () => {
    const settings = resolveRedisSettings({
      url: "redis://user:secret@redis.example:6380/1",
      password: "override",
      db: 2,
      tls: true,
      claimIdle: "1m30s",
      block: 250,
    });
    expect(settings.connection).toEqual({
      url: "redis://user:secret@redis.example:6380/1",
      options: { password: "override", db: 2, tls: {} },
      where: "redis://user:***@redis.example:6380/1",
    });
    expect(settings.claimIdleMs).toBe(90_000);
    expect(settings.blockMs).toBe(250);
  });

  it("parses addresses with IPv6 hosts and default ports", () => {
    expect(resolveRedisSettings({ address: "[::1]:7000" }).connection).toMatchObject({
      options: { host: "::1", port: 7000 },
    });
    expect(resolveRedisSettings({ address: "cache.internal" }).connection).toMatchObject({
      options: { host: "cache.internal", port: 6379 },
    });
    expect(issuesOf(() => resolveRedisSettings({ address: "host:70000" }))).toEqual([
      'options.address: expected "host:port", got "host:70000"',
    ]);
  });

  it("uses a client passed in, and refuses connection settings next to it", () => {
    const client = new Redis({ lazyConnect: true });
    expect(resolveRedisSettings({ client }).connection).toEqual({ client });
    expect(issuesOf(() => resolveRedisSettings({ client, address: "h:1", password: "p" }))).toEqual([
      "options.address: not used with options.client; set it on the client",
      "options.password: not used with options.client; set it on the client",
    ]);
    expect(issuesOf(() => resolveRedisSettings({ client: {} as Redis }))).toEqual([
      "options.client: expected an ioredis client, got a mapping",
    ]);
    client.disconnect();
  });
});
