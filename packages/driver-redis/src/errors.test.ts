import { isPrismError, PrismError, PrismErrorCode, silentLogger } from "@prism/consumer-core";
import { Redis, ReplyError } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { deleteKeysUnder, uniquePrefix } from "../test/redis-test-support.js";
import { isTransientRedisError, mapRedisError } from "./errors.js";
import { RedisDriver } from "./redis-driver.js";

const redis = await backend("redis");
const keyPrefix = uniquePrefix("errors");

/** The error `action` rejects with. */
async function failure(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("expected the action to fail");
}

function expectUnavailable(error: unknown) {
  expect(isPrismError(error)).toBe(true);
  expect(error).toMatchObject({ code: PrismErrorCode.BackendUnavailable, retryable: true });
}

function expectRejected(error: unknown) {
  expect(isPrismError(error)).toBe(true);
  expect(error).toMatchObject({ code: PrismErrorCode.BackendRejected, retryable: false });
}

describe("mapRedisError without a server", () => {
  it("treats a refused connection as unavailable (connect to a port nobody listens on)", async () => {
    const error = await failure(() => RedisDriver.connect({ address: "127.0.0.1:1", logger: silentLogger }));
    expectUnavailable(error);
    expect((error as Error).message).toContain("ECONNREFUSED");
  });

  it("treats MaxRetriesPerRequestError as unavailable", async () => {
    const client = new Redis({ port: 1, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    client.on("error", () => {});
    const native = await failure(() => client.get("k"));
    client.disconnect();
    expect((native as Error).name).toBe("MaxRetriesPerRequestError");
    expectUnavailable(mapRedisError(native, "GET"));
  });

  it("treats the server's transient states as unavailable (LOADING, BUSY, READONLY)", () => {
    // These need a server loading its dataset or in failover; the replies are built as ioredis builds them.
    for (const reply of [
      "LOADING Redis is loading the dataset in memory",
      "BUSY script",
      "READONLY replica",
    ]) {
      expectUnavailable(mapRedisError(new ReplyError(reply), "GET"));
    }
  });

  it("treats NOAUTH as rejected", () => {
    // Needs a server whose default user has a password; not changed on the shared test server.
    expectRejected(mapRedisError(new ReplyError("NOAUTH Authentication required."), "GET"));
  });

  it("rejects errors it does not know instead of retrying them forever", () => {
    expectRejected(mapRedisError(new TypeError("unexpected reply"), "XREADGROUP"));
    expect(isTransientRedisError("not an error")).toBe(false);
  });

  it("passes Prism errors through unchanged", () => {
    const original = new PrismError(PrismErrorCode.Lifecycle, "closed");
    expect(mapRedisError(original, "GET")).toBe(original);
  });
});

describe.runIf(redis.available)("mapRedisError with real errors from the server", () => {
  let admin: Redis;
  const user = `prism-test-user-${Date.now().toString(36)}`;
  const userPassword = `pw-${Math.random().toString(36).slice(2)}`;

  beforeAll(async () => {
    admin = new Redis(redis.url);
    // A user that may connect and PING but not read keys, for NOPERM; removed after the tests.
    await admin.call("ACL", "SETUSER", user, "on", `>${userPassword}`, "+@connection", "+info");
  });

  afterAll(async () => {
    await admin.call("ACL", "DELUSER", user);
    await deleteKeysUnder(redis.url, keyPrefix);
    admin.disconnect();
  });

  it("rejects a wrong password (WRONGPASS) at connect, without echoing it", async () => {
    const url = new URL(redis.url);
    url.username = "prism-no-such-user";
    url.password = "not-the-password-123";
    const error = await failure(() => RedisDriver.connect({ url: url.href, logger: silentLogger }));
    expectRejected(error);
    expect((error as Error).message).toContain("WRONGPASS");
    expect((error as Error).message).not.toContain("not-the-password-123");
    expect((error as Error).message).toContain("***");
  });

  it("rejects AUTH with a wrong password", async () => {
    const native = await failure(() => admin.auth("prism-no-such-user", "wrong"));
    expect((native as Error).message).toMatch(/^WRONGPASS/);
    expectRejected(mapRedisError(native, "AUTH"));
  });

  it("rejects a command the user may not run (NOPERM)", async () => {
    const driver = await RedisDriver.connect({
      url: redis.url,
      username: user,
      password: userPassword,
      keyPrefix,
      logger: silentLogger,
    });
    try {
      const error = await failure(() => driver.get("anything"));
      expectRejected(error);
      expect((error as Error).message).toContain("NOPERM");
      expect((error as Error).message).not.toContain(userPassword);
    } finally {
      await driver.close();
    }
  });

  it("rejects reading a stream as a string (WRONGTYPE)", async () => {
    const driver = await RedisDriver.connect({ url: redis.url, keyPrefix, logger: silentLogger });
    try {
      await driver.enqueue("a-stream", new Uint8Array([1]));
      const error = await failure(() => driver.get("a-stream"));
      expectRejected(error);
      expect((error as Error).message).toContain("WRONGTYPE");
      expect((error as Error).message).toContain(`GET "${keyPrefix}a-stream"`);
    } finally {
      await driver.close();
    }
  });

  it("rejects a syntax error", async () => {
    const native = await failure(() => admin.call("SET", `${keyPrefix}k`, "v", "PX", "soon"));
    expect((native as Error).message).toMatch(/^ERR/);
    expectRejected(mapRedisError(native, "SET"));
  });

  it('treats "Connection is closed." as unavailable (using a closed driver)', async () => {
    const driver = await RedisDriver.connect({ url: redis.url, keyPrefix, logger: silentLogger });
    await driver.close();
    const error = await failure(() => driver.get("k"));
    expectUnavailable(error);
    expect((error as Error).message).toContain("Connection is closed");
  });
});
