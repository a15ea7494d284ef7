import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { PrismErrorCode, silentLogger } from "@prism/consumer-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver } from "../src/index.js";
import { supportsMessageTtl } from "../src/internal/kv-store.js";
import {
  deleteStreamsContaining,
  serverVersion,
  startChildServer,
  uniquePrefix,
} from "./nats-test-support.js";

const nats = await backend("nats");
const runPrefix = uniquePrefix("kv");
const version = nats.available ? await serverVersion(nats.url) : "unknown";
let buckets = 0;
/** A bucket name of this run: deleted with the run's streams (a bucket is the stream KV_{name}). */
const newBucket = () => `${runPrefix}-b${++buckets}`;
const bytes = (text: string) => new TextEncoder().encode(text);
const unavailable = { code: PrismErrorCode.BackendUnavailable, retryable: true };

describe("supportsMessageTtl", () => {
  it("is true from NATS 2.11 on", () => {
    expect(["2.9.10", "2.10.29", "1.4.0", "", "garbage"].map(supportsMessageTtl)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(["2.11.0", "2.11.0-RC.1", "v2.12.3", "3.0.0"].map(supportsMessageTtl)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });
});

describe.runIf(nats.available)("NatsDriver key/value on a JetStream KV bucket", () => {
  let admin: NatsConnection;
  const drivers: NatsDriver[] = [];
  const open = async (options: Parameters<typeof NatsDriver.connect>[0] = {}) => {
    const driver = await NatsDriver.connect({ url: nats.url, logger: silentLogger, ...options });
    drivers.push(driver);
    return driver;
  };

  beforeAll(async () => {
    admin = await connect({ servers: nats.url });
  });
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.close()));
  });
  afterAll(async () => {
    await admin.close();
    await deleteStreamsContaining(nats.url, runPrefix);
  });

  it("stores under the encoded key in a history-1 bucket with kv_storage, created on first use", async () => {
    const bucket = newBucket();
    const driver = await open({ kvBucket: bucket, kvStorage: "memory" });
    const jsm = await jetstreamManager(admin);
    // Lazily: connecting creates nothing.
    await expect(jsm.streams.info(`KV_${bucket}`)).rejects.toMatchObject({ name: "StreamNotFoundError" });

    await driver.set("consumer:my_group:orders.created:processor", bytes('{"offset":3}'));
    const kv = await new Kvm(admin).open(bucket);
    const entry = await kv.get("consumer_3Amy_5Fgroup_3Aorders.created_3Aprocessor");
    expect(entry?.string()).toBe('{"offset":3}');
    const status = await kv.status();
    expect(status).toMatchObject({ history: 1, storage: "memory" });
  });

  it("keeps keys apart that a naive encoding would merge", async () => {
    const driver = await open({ kvBucket: newBucket() });
    const keys = ["a:b", "a_3Ab", "a.b", "a..b", ".a", "a.", "", "_", "orders.*", "orders.>", "café"];
    for (const [i, key] of keys.entries()) await driver.set(key, bytes(String(i)));
    const values = await Promise.all(
      keys.map(async (key) => new TextDecoder().decode(await driver.get(key))),
    );
    expect(values).toEqual(keys.map((_, i) => String(i)));
  });

  it.runIf(!supportsMessageTtl(version))(
    `refuses a TTL on NATS ${version} with BACKEND_REJECTED, storing nothing`,
    async () => {
      const driver = await open({ kvBucket: newBucket() });
      const error = await driver.set("short-lived", bytes("x"), 5).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: PrismErrorCode.BackendRejected, retryable: false });
      expect((error as Error).message).toBe(
        `NATS KV set("short-lived") with ttlSeconds 5: per-key TTL needs NATS server >= 2.11 ` +
          `(per-message TTL), this server is ${version}; store without a TTL or upgrade the server`,
      );
      expect(await driver.exists("short-lived")).toBe(false);
      // TTL 0 means "no expiry" and works everywhere.
      await driver.set("forever", bytes("y"), 0);
      expect(await driver.get("forever")).toEqual(bytes("y"));
    },
  );

  it("rejects a negative or non-finite TTL before sending anything", async () => {
    const driver = await open({ kvBucket: newBucket() });
    for (const ttl of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(driver.set("bad", bytes("x"), ttl)).rejects.toMatchObject({
        code: PrismErrorCode.BackendRejected,
        message: expect.stringContaining("ttlSeconds must be a number >= 0"),
      });
    }
    expect(await driver.exists("bad")).toBe(false);
  });

  it("with create_buckets false: a missing bucket is BACKEND_REJECTED saying what to do; once created, it is used", async () => {
    const bucket = newBucket();
    const driver = await open({ kvBucket: bucket, createBuckets: false });
    const error = await driver.get("state").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: PrismErrorCode.BackendRejected, retryable: false });
    expect((error as Error).message).toBe(
      `NATS KV bucket "${bucket}" does not exist and create_buckets is false: create it ` +
        `(e.g. nats kv add ${bucket} --history 1) or set create_buckets: true`,
    );
    // A failed open is not remembered: the next call looks again.
    await new Kvm(admin).create(bucket, { history: 1 });
    await driver.set("state", bytes("found"));
    expect(await driver.get("state")).toEqual(bytes("found"));
  });

  it("re-creates a bucket deleted while in use: one retryable failure, then it works again", async () => {
    const bucket = newBucket();
    const driver = await open({ kvBucket: bucket });
    await driver.set("state", bytes("one"));
    await (await jetstreamManager(admin)).streams.delete(`KV_${bucket}`);
    await expect(driver.set("state", bytes("two"))).rejects.toMatchObject(unavailable);
    await driver.set("state", bytes("three"));
    expect(await driver.get("state")).toEqual(bytes("three"));
  });

  it("refuses key/value calls after close() with LIFECYCLE", async () => {
    const driver = await open({ kvBucket: newBucket() });
    await driver.close();
    await expect(driver.get("state")).rejects.toMatchObject({ code: PrismErrorCode.Lifecycle });
    await expect(driver.set("state", bytes("x"))).rejects.toMatchObject({ code: PrismErrorCode.Lifecycle });
  });

  it("maps a server that went away to BACKEND_UNAVAILABLE, for an open bucket and a first use", async () => {
    const server = await startChildServer("", { jetstream: true });
    const options = { url: server.url, maxReconnects: 1, logger: silentLogger };
    const used = await NatsDriver.connect(options);
    const unused = await NatsDriver.connect(options);
    try {
      await used.set("state", bytes("x"));
      await server.stop();
      await expect(used.set("state", bytes("y"))).rejects.toMatchObject(unavailable);
      await expect(unused.get("state")).rejects.toMatchObject(unavailable);
    } finally {
      await used.close();
      await unused.close();
    }
  }, 60_000);
});
