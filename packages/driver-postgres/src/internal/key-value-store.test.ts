import { silentLogger } from "@prism/consumer-core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { backend } from "../../../../scripts/test-support/backends.mjs";
import { testSchema } from "../../test/postgres-test-schema.js";
import { PostgresDriver } from "../postgres-driver.js";

const server = await backend("postgres");
const schema = testSchema(server.url, "kv");
const bytes = (text: string) => new TextEncoder().encode(text);

describe.runIf(server.available)("postgres key/value table", () => {
  let driver: PostgresDriver | undefined;
  const connect = async (purgeIntervalMs = 60_000) => {
    driver = await PostgresDriver.connect({
      connectionString: server.url,
      schema: schema.name,
      purgeInterval: purgeIntervalMs,
      logger: silentLogger,
    });
    return driver;
  };
  afterEach(() => driver?.close());
  afterAll(() => schema.drop());

  async function row(kv: PostgresDriver, key: string) {
    const result = await kv.pool.query<{ value: Buffer; expires: boolean }>(
      `SELECT value, expires_at IS NOT NULL AS expires FROM ${kv.names.kvTable} WHERE key = $1`,
      [key],
    );
    return result.rows[0];
  }

  it("stores values as bytea, with an expiry only for a TTL above 0", async () => {
    const kv = await connect();
    await kv.set("kv-forever", bytes("a"));
    await kv.set("kv-zero", bytes("b"), 0);
    await kv.set("kv-ttl", new Uint8Array([0, 255, 1]), 30);
    expect(await row(kv, "kv-forever")).toEqual({ value: Buffer.from("a"), expires: false });
    expect(await row(kv, "kv-zero")).toEqual({ value: Buffer.from("b"), expires: false });
    expect(await row(kv, "kv-ttl")).toEqual({ value: Buffer.from([0, 255, 1]), expires: true });
  });

  it("returns a plain Uint8Array", async () => {
    const kv = await connect();
    await kv.set("kv-type", bytes("x"));
    const value = await kv.get("kv-type");
    expect(value?.constructor).toBe(Uint8Array);
  });

  it("deletes expired rows on the purge timer", async () => {
    const kv = await connect(100);
    await kv.set("kv-purged", bytes("short"), 1);
    await kv.set("kv-kept", bytes("long"), 60);
    const deadline = Date.now() + 10_000;
    while ((await row(kv, "kv-purged")) !== undefined) {
      if (Date.now() > deadline) throw new Error("the expired row was never purged");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await row(kv, "kv-kept")).toBeDefined();
  });

  it("rejects a negative, infinite or NaN TTL with a clear error", async () => {
    const kv = await connect();
    for (const ttl of [-1, Number.POSITIVE_INFINITY, Number.NaN]) {
      await expect(kv.set("kv-bad-ttl", bytes("x"), ttl)).rejects.toThrow(
        `postgres set("kv-bad-ttl"): ttlSeconds must be a finite number >= 0, got ${ttl}`,
      );
    }
    expect(await kv.exists("kv-bad-ttl")).toBe(false);
  });

  it("accepts a fractional TTL", async () => {
    const kv = await connect();
    await kv.set("kv-fraction", bytes("x"), 0.2);
    const deadline = Date.now() + 5000;
    while (await kv.exists("kv-fraction")) {
      if (Date.now() > deadline) throw new Error("a 0.2 s TTL did not expire");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
