import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { isPrismError, PrismError, PrismErrorCode, silentLogger } from "@prism/consumer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { type ChildServer, freePort, startChildServer, uniquePrefix } from "../test/nats-test-support.js";
import { mapNatsError } from "./errors.js";
import { NatsDriver } from "./nats-driver.js";

const nats = await backend("nats");
const prefix = uniquePrefix("errors");

/** What a call throws, mapped; fails the test when it does not throw. */
async function mappedFrom(action: () => unknown): Promise<PrismError> {
  try {
    await action();
  } catch (error) {
    return mapNatsError(error, "test");
  }
  throw new Error("expected an error");
}

/** What a call throws, as is; fails the test when it does not throw or throws something else. */
async function prismErrorFrom(action: () => unknown): Promise<PrismError> {
  try {
    await action();
  } catch (error) {
    if (isPrismError(error)) return error;
    throw error;
  }
  throw new Error("expected an error");
}

const unavailable = { code: PrismErrorCode.BackendUnavailable, retryable: true };
const rejected = { code: PrismErrorCode.BackendRejected, retryable: false };

describe.runIf(nats.available)("mapNatsError with real nats.js errors", () => {
  let connection: NatsConnection;
  // Users, a forbidden subject and no JetStream: what the shared server does not offer.
  let guarded: ChildServer;

  beforeAll(async () => {
    connection = await connect({ servers: nats.url });
    guarded = await startChildServer(
      'authorization { users = [ { user: "prism", password: "right-secret", ' +
        'permissions: { publish: { deny: ["forbidden.>"] }, subscribe: { deny: ["forbidden.>"] } } } ] }',
    );
  });

  afterAll(async () => {
    await connection.close();
    await guarded.stop();
  });

  it("maps a refused connection to BACKEND_UNAVAILABLE; connect names the server", async () => {
    const port = await freePort();
    expect(await mappedFrom(() => connect({ servers: `127.0.0.1:${port}` }))).toMatchObject(unavailable);
    const error = await prismErrorFrom(() => NatsDriver.connect({ url: `nats://127.0.0.1:${port}` }));
    expect(error).toMatchObject(unavailable);
    expect(error.message).toContain(`could not connect to NATS at nats://127.0.0.1:${port}`);
  });

  it("maps an unknown host to BACKEND_UNAVAILABLE", async () => {
    expect(await mappedFrom(() => connect({ servers: "nats://no-such-host.invalid:4222" }))).toMatchObject(
      unavailable,
    );
  });

  it("maps a closed connection, a request nobody answers and a timeout to BACKEND_UNAVAILABLE", async () => {
    const closed = await connect({ servers: nats.url });
    await closed.close();
    expect(await mappedFrom(() => closed.publish("any", new Uint8Array()))).toMatchObject(unavailable);
    expect(await mappedFrom(() => connection.request(`${prefix}.nobody`, new Uint8Array()))).toMatchObject(
      unavailable,
    );
    const silent = connection.subscribe(`${prefix}.silent`);
    const timedOut = await mappedFrom(() =>
      connection.request(`${prefix}.silent`, new Uint8Array(), { timeout: 200 }),
    );
    silent.unsubscribe();
    expect(timedOut).toMatchObject(unavailable);
    expect((timedOut.cause as Error).name).toBe("TimeoutError");
  });

  it("maps a JetStream publish no stream answers (no responders) to BACKEND_UNAVAILABLE", async () => {
    const error = await mappedFrom(() =>
      jetstream(connection).publish(`${prefix}.nostream`, new Uint8Array()),
    );
    expect(error).toMatchObject(unavailable);
  });

  it("maps wrong credentials to BACKEND_REJECTED without repeating the password", async () => {
    const host = guarded.url.replace("nats://", "");
    expect(
      await mappedFrom(() => connect({ servers: guarded.url, user: "prism", pass: "wrong-secret" })),
    ).toMatchObject(rejected);
    for (const options of [
      { url: guarded.url, user: "prism", password: "wrong-secret" },
      { url: `nats://prism:wrong-secret@${host}` },
    ]) {
      const error = await prismErrorFrom(() => NatsDriver.connect({ ...options, jetstream: false }));
      expect(error).toMatchObject(rejected);
      expect(error.message).toContain("check user/password/token");
      expect(error.message).not.toContain("wrong-secret");
    }
    // The right credentials in the URL work: the driver passes them on (nats.js itself ignores them).
    const driver = await NatsDriver.connect({ url: `nats://prism:right-secret@${host}`, jetstream: false });
    await driver.close();
  });

  it("maps permission violations to BACKEND_REJECTED, also when a subscription is refused", async () => {
    const guardedConnection = await connect({ servers: guarded.url, user: "prism", pass: "right-secret" });
    try {
      const error = await mappedFrom(() => guardedConnection.request("forbidden.publish", new Uint8Array()));
      expect(error).toMatchObject(rejected);
      expect((error.cause as Error).cause).toMatchObject({ name: "PermissionViolationError" });
    } finally {
      await guardedConnection.close();
    }
    const driver = await NatsDriver.connect({
      url: guarded.url,
      user: "prism",
      password: "right-secret",
      jetstream: false,
      logger: silentLogger,
    });
    try {
      const messages = await driver.subscribe("forbidden.subscribe", "group");
      const iteration = await prismErrorFrom(async () => {
        for await (const _ of messages) break;
      });
      expect(iteration).toMatchObject(rejected);
      expect(iteration.message).toContain("Permissions Violation for Subscription");
    } finally {
      await driver.close();
    }
  });

  it("maps invalid subjects and names to BACKEND_REJECTED, in the driver too", async () => {
    expect(await mappedFrom(() => connection.publish("two words", new Uint8Array()))).toMatchObject(rejected);
    const jsm = await jetstreamManager(connection);
    expect(await mappedFrom(() => jsm.streams.add({ name: "a.b", subjects: ["x"] }))).toMatchObject(rejected);
    const driver = await NatsDriver.connect({ url: nats.url, jetstream: false, logger: silentLogger });
    try {
      expect(await prismErrorFrom(() => driver.publish("two words", new Uint8Array()))).toMatchObject(
        rejected,
      );
    } finally {
      await driver.close();
    }
  });

  it("maps a missing stream to BACKEND_REJECTED, and says what to do when create_streams is false", async () => {
    const jsm = await jetstreamManager(connection);
    expect(await mappedFrom(() => jsm.streams.info(`${prefix}-missing`))).toMatchObject(rejected);
    const driver = await NatsDriver.connect({ url: nats.url, createStreams: false, logger: silentLogger });
    try {
      const error = await prismErrorFrom(() => driver.publish(`${prefix}.unbound`, new Uint8Array()));
      expect(error).toMatchObject(rejected);
      expect(error.message).toContain(`no JetStream stream captures subject "${prefix}.unbound"`);
      expect(error.message).toContain("create_streams: true");
      expect(await prismErrorFrom(() => driver.receive(`${prefix}.unbound`))).toMatchObject(rejected);
    } finally {
      await driver.close();
    }
  });

  it("says JetStream is off when the server has none; core NATS still works there", async () => {
    const credentials = { url: guarded.url, user: "prism", password: "right-secret", logger: silentLogger };
    const error = await prismErrorFrom(() => NatsDriver.connect(credentials));
    expect(error.message).toContain("is JetStream enabled on the server (nats-server -js)?");
    const driver = await NatsDriver.connect({ ...credentials, jetstream: false });
    try {
      expect(await driver.publish("allowed", new Uint8Array([1]))).toMatch(/\S/);
      const queueError = await prismErrorFrom(() => driver.enqueue("allowed", new Uint8Array([1])));
      expect(queueError.message).toContain("the queue does not");
    } finally {
      await driver.close();
    }
  });

  it("passes Prism errors through and does not retry what it does not know", () => {
    const original = new PrismError(PrismErrorCode.BackendUnavailable, "already mapped");
    expect(mapNatsError(original, "test")).toBe(original);
    expect(mapNatsError(new TypeError("a bug"), "test")).toMatchObject(rejected);
    expect(mapNatsError(new TypeError("a bug"), 'publish to "x"').message).toBe(
      'NATS publish to "x" failed: a bug',
    );
  });
});
