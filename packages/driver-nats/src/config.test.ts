import { ConfigError, silentLogger } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { natsOptionsFromConfig, resolveNatsOptions } from "./config.js";

const path = "slots.message_source.config";

/** The issues a config raises, as `path: message` lines. */
function issuesOf(config: unknown, style: "snake" | "camel" = "snake"): string[] {
  try {
    resolveNatsOptions(config, style, path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("resolveNatsOptions", () => {
  it("applies the defaults: local server, JetStream, streams created, at-least-once settings", () => {
    const options = resolveNatsOptions({}, "snake", path);
    expect(options).toMatchObject({
      servers: ["nats://127.0.0.1:4222"],
      maxReconnects: -1,
      user: undefined,
      password: undefined,
      token: undefined,
      tls: false,
      jetstream: true,
      streamTemplate: "PRISM_{subject}",
      createStreams: true,
      storage: "file",
      ackWaitMs: 30_000,
      maxDeliver: -1,
      nakDelayMs: 0,
      fetchBatch: 64,
      coreBuffer: 10_000,
      kvBucket: "prism_state",
      kvStorage: "file",
      createBuckets: true,
    });
  });

  it("reads the seed's keys and every other YAML key", () => {
    const options = resolveNatsOptions(
      {
        url: "nats://localhost:4222, nats://backup:4223",
        max_reconnects: 10,
        user: "prism",
        password: "secret",
        tls: true,
        name: "order-processor",
        jetstream: false,
        stream: "ORDERS",
        create_streams: false,
        storage: "memory",
        ack_wait: "1m30s",
        max_deliver: 5,
        nak_delay: "250ms",
        fetch_batch: 16,
        core_buffer: 100,
        kv_bucket: "orders_state",
        kv_storage: "memory",
        create_buckets: true,
      },
      "snake",
      path,
    );
    expect(options).toMatchObject({
      servers: ["nats://localhost:4222", "nats://backup:4223"],
      maxReconnects: 10,
      user: "prism",
      password: "secret",
      tls: true,
      name: "order-processor",
      jetstream: false,
      streamTemplate: "ORDERS",
      createStreams: false,
      storage: "memory",
      ackWaitMs: 90_000,
      maxDeliver: 5,
      nakDelayMs: 250,
      fetchBatch: 16,
      coreBuffer: 100,
      kvBucket: "orders_state",
      kvStorage: "memory",
      createBuckets: true,
    });
  });

  it("creates buckets as it creates streams unless create_buckets says otherwise", () => {
    expect(resolveNatsOptions({ create_streams: false }, "snake", path).createBuckets).toBe(false);
    expect(
      resolveNatsOptions({ createStreams: false, createBuckets: true }, "camel", path).createBuckets,
    ).toBe(true);
    expect(resolveNatsOptions({ create_buckets: false }, "snake", path)).toMatchObject({
      createStreams: true,
      createBuckets: false,
    });
  });

  it("takes credentials out of the URLs (nats.js ignores them there); explicit keys win", () => {
    const fromUrl = resolveNatsOptions({ url: "nats://prism:s%40cret@host:4222" }, "snake", path);
    expect(fromUrl).toMatchObject({ servers: ["nats://host:4222"], user: "prism", password: "s@cret" });
    const token = resolveNatsOptions({ url: "nats://t0ken@host:4222" }, "snake", path);
    expect(token).toMatchObject({ servers: ["nats://host:4222"], token: "t0ken", user: undefined });
    const explicit = resolveNatsOptions({ url: "nats://a:b@host", token: "other" }, "snake", path);
    expect(explicit).toMatchObject({ token: "other", user: undefined, password: undefined });
  });

  it("accepts host:port without a scheme, lists, and tls:// (which requires TLS)", () => {
    const options = resolveNatsOptions({ url: ["host-a:4222", "tls://host-b:4443"] }, "camel", "options");
    expect(options.servers).toEqual(["nats://host-a:4222", "tls://host-b:4443"]);
    expect(options.tls).toBe(true);
  });

  it("accepts durations as milliseconds in TypeScript", () => {
    const options = resolveNatsOptions({ ackWait: 1500, nakDelay: 0 }, "camel", "options");
    expect(options).toMatchObject({ ackWaitMs: 1500, nakDelayMs: 0 });
  });

  it("lists every bad key by path", () => {
    expect(
      issuesOf({
        url: "http://host:4222",
        max_reconnects: "ten",
        tls: "yes",
        name: "",
        jetstream: "maybe",
        stream: "orders.stream",
        create_streams: 1,
        storage: "disk",
        ack_wait: "soon",
        max_deliver: 0,
        nak_delay: "-1s",
        fetch_batch: 0,
        core_buffer: 1.5,
        kv_bucket: "prism.state",
        kv_storage: "disk",
        create_buckets: "no",
        size: 3,
      }),
    ).toEqual([
      `${path}.size: unknown key; expected one of url, max_reconnects, user, password, token, tls, name, jetstream, stream, create_streams, storage, ack_wait, max_deliver, nak_delay, fetch_batch, core_buffer, kv_bucket, kv_storage, create_buckets`,
      `${path}.url: expected nats://host:port or tls://host:port URLs, got "http://host:4222/"`,
      `${path}.max_reconnects: expected -1 (forever) or an integer >= 0, got "ten"`,
      `${path}.tls: expected true or false, got "yes"`,
      `${path}.name: expected a non-empty string, got ""`,
      `${path}.jetstream: expected true or false, got "maybe"`,
      `${path}.stream: expected letters, digits, "-", "_" and {subject}, got "orders.stream"`,
      `${path}.create_streams: expected true or false, got 1`,
      `${path}.storage: expected one of "file", "memory", got "disk"`,
      `${path}.ack_wait: expected a duration like "5s", "250ms" or "1m30s", got "soon"`,
      `${path}.max_deliver: expected -1 (unlimited) or an integer >= 1, got 0`,
      `${path}.nak_delay: expected a duration like "5s", "250ms" or "1m30s", got "-1s"`,
      `${path}.fetch_batch: expected an integer >= 1, got 0`,
      `${path}.core_buffer: expected an integer >= 1, got 1.5`,
      `${path}.kv_bucket: expected letters, digits, "-" and "_", got "prism.state"`,
      `${path}.kv_storage: expected one of "file", "memory", got "disk"`,
      `${path}.create_buckets: expected true or false, got "no"`,
    ]);
  });

  it("refuses a duration longer than a timer can wait", () => {
    expect(issuesOf({ ack_wait: "600h" })).toEqual([
      `${path}.ack_wait: "600h" is longer than a timer can wait (at most "596h31m23.647s", about 24.8 days)`,
    ]);
  });

  it("rejects a zero ack_wait, a bare number as a YAML duration, and a URL with a path or no host", () => {
    expect(issuesOf({ ack_wait: "0s", nak_delay: 5, url: "nats://host:4222/x,  " })).toEqual([
      `${path}.url: expected nats://host:port or tls://host:port URLs, got "nats://host:4222/x", ""`,
      `${path}.ack_wait: expected a duration above zero, got "0s"`,
      `${path}.nak_delay: expected a duration with a unit like "5s" or "250ms", got 5`,
    ]);
    expect(issuesOf({ url: 4222 })).toEqual([
      `${path}.url: expected a URL such as "nats://127.0.0.1:4222" or a comma-separated list, got 4222`,
    ]);
  });

  it("never repeats a secret: credentials in URLs are redacted, wrong secrets are described by type", () => {
    const lines = issuesOf({ url: "nats://prism:hunter2@host:4222/oops", password: 12345, user: "u" });
    expect(lines).toEqual([
      `${path}.url: expected nats://host:port or tls://host:port URLs, got "nats://prism:***@host:4222/oops"`,
      `${path}.password: expected a non-empty string, got a number`,
    ]);
    expect(lines.join("\n")).not.toContain("hunter2");
    expect(lines.join("\n")).not.toContain("12345");
  });

  it("checks how credentials combine", () => {
    expect(issuesOf({ user: "u" })).toEqual([`${path}.password: required with user`]);
    expect(issuesOf({ password: "p" })).toEqual([`${path}.user: required with password`]);
    expect(issuesOf({ token: "t", user: "u", password: "p" })).toEqual([
      `${path}.token: use either a token or user and password, not both`,
    ]);
  });

  it("knows the TypeScript-only keys in camelCase and rejects them in YAML", () => {
    expect(issuesOf({ connection: {}, logger: silentLogger })).toEqual([
      `${path}.connection: unknown key; expected one of url, max_reconnects, user, password, token, tls, name, jetstream, stream, create_streams, storage, ack_wait, max_deliver, nak_delay, fetch_batch, core_buffer, kv_bucket, kv_storage, create_buckets`,
      `${path}.logger: unknown key; expected one of url, max_reconnects, user, password, token, tls, name, jetstream, stream, create_streams, storage, ack_wait, max_deliver, nak_delay, fetch_batch, core_buffer, kv_bucket, kv_storage, create_buckets`,
    ]);
    expect(issuesOf({ connection: "nats://x", logger: console.log, ack_wait: "1s" }, "camel")).toEqual([
      `${path}.ack_wait: unknown key; expected one of url, connection, maxReconnects, user, password, token, tls, name, jetstream, stream, createStreams, storage, ackWait, maxDeliver, nakDelay, fetchBatch, coreBuffer, kvBucket, kvStorage, createBuckets, logger`,
      `${path}.connection: expected a NatsConnection from @nats-io/transport-node, got "nats://x"`,
      `${path}.logger: expected a Logger, got a function`,
    ]);
  });

  it("refuses connection settings next to an existing connection", () => {
    const connection = { subscribe: () => {} };
    expect(issuesOf({ connection, url: "nats://host", maxReconnects: 3, token: "t" }, "camel")).toEqual([
      `${path}.url: cannot be combined with connection`,
      `${path}.maxReconnects: cannot be combined with connection`,
      `${path}.token: cannot be combined with connection`,
    ]);
  });

  it("says so when the config is not a mapping", () => {
    expect(issuesOf(["url"])).toEqual([`${path}: expected a mapping, got a list`]);
  });
});

describe("natsOptionsFromConfig", () => {
  it("turns the YAML keys into NatsDriver.connect options", () => {
    expect(
      natsOptionsFromConfig({ url: "nats://localhost:4222", max_reconnects: 10, ack_wait: "5s" }, path),
    ).toEqual({
      url: "nats://localhost:4222",
      maxReconnects: 10,
      ackWait: 5000,
    });
  });

  it("takes numbers and booleans written as text, which is what ${VAR} substitution gives", () => {
    expect(
      natsOptionsFromConfig(
        { max_reconnects: "10", jetstream: "false", fetch_batch: "16", max_deliver: "-1" },
        path,
      ),
    ).toEqual({ maxReconnects: 10, jetstream: false, fetchBatch: 16, maxDeliver: -1 });
  });

  it("throws the ConfigError with the YAML paths", () => {
    expect(() => natsOptionsFromConfig({ max_reconnects: -5 }, path)).toThrow(
      `${path}.max_reconnects: expected -1 (forever) or an integer >= 0, got -5`,
    );
  });
});
