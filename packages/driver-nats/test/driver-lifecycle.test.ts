import { connect } from "@nats-io/transport-node";
import { isPrismError, type Message, PrismErrorCode, silentLogger } from "@prism/consumer-core";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver } from "../src/index.js";
import { deleteStreamsContaining, startChildServer, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const restartNats = nats.available ? nats.restarter() : undefined;
const runPrefix = uniquePrefix("life");
const bytes = (text: string) => new TextEncoder().encode(text);

/** Reads in the background until the iteration ends; keeps what arrived and how it ended. */
function readAll(messages: AsyncIterable<Message>) {
  const arrived: Message[] = [];
  const ended = (async () => {
    for await (const message of messages) arrived.push(message);
  })().then(
    () => undefined,
    (error: unknown) => error,
  );
  return { arrived, ended };
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.runIf(nats.available)("NatsDriver lifecycle", () => {
  afterAll(() => deleteStreamsContaining(nats.url, runPrefix));

  it.runIf(restartNats)(
    "counts reconnects in driverHealth() and keeps delivering after a server restart",
    async () => {
      const driver = await NatsDriver.connect({ url: nats.url, ackWait: "2s", logger: silentLogger });
      const subject = `${runPrefix}-reconnect`;
      try {
        expect(driver.driverHealth()).toEqual({ connected: true, reconnects: 0 });
        const abort = new AbortController();
        const reader = readAll(await driver.subscribe(subject, "g", { signal: abort.signal }));
        await driver.publish(subject, bytes("before"));
        await until(() => reader.arrived.length === 1, "the first message");
        await restartNats?.();
        await until(() => driver.driverHealth().reconnects === 1, "the reconnect");
        for (;;) {
          try {
            await driver.publish(subject, bytes("after"));
            break;
          } catch (error) {
            expect(isPrismError(error) && error.retryable).toBe(true);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        await until(() => reader.arrived.length >= 2, "the message sent after the restart");
        abort.abort();
        expect(await reader.ended).toBeUndefined();
        expect(reader.arrived.map((m) => new TextDecoder().decode(m.payload))).toEqual(["before", "after"]);
        expect(driver.driverHealth()).toMatchObject({ connected: true, reconnects: 1 });
      } finally {
        await driver.close();
      }
    },
  );

  it("ends iterations with BACKEND_UNAVAILABLE once the connection is closed for good", async () => {
    // A server of this test's own, stopped for good: the drivers give up after one reconnect attempt.
    const server = await startChildServer("", { jetstream: true });
    const jetStream = await NatsDriver.connect({ url: server.url, maxReconnects: 1, logger: silentLogger });
    const core = await NatsDriver.connect({
      url: server.url,
      maxReconnects: 1,
      jetstream: false,
      logger: silentLogger,
    });
    try {
      const readers = [
        readAll(await jetStream.subscribe("closed", "g")),
        readAll(await jetStream.receive("closed-queue")),
        readAll(await core.subscribe("closed-core", "g")),
      ];
      await server.stop();
      for (const reader of readers) {
        expect(await reader.ended).toMatchObject({
          code: PrismErrorCode.BackendUnavailable,
          retryable: true,
        });
      }
      expect(jetStream.driverHealth().connected).toBe(false);
      expect(core.driverHealth().connected).toBe(false);
    } finally {
      await jetStream.close();
      await core.close();
    }
  }, 60_000);

  it("close() ends open iterations, leaves a passed-in connection open and refuses later calls", async () => {
    const connection = await connect({ servers: nats.url });
    const driver = await NatsDriver.connect({ connection, logger: silentLogger });
    const readers = [
      readAll(await driver.subscribe(`${runPrefix}-close`, "g")),
      readAll(await driver.receive(`${runPrefix}-close-queue`)),
    ];
    await driver.close();
    for (const reader of readers) expect(await reader.ended).toBeUndefined();
    expect(connection.isClosed()).toBe(false);
    await expect(driver.publish(`${runPrefix}-close`, bytes("x"))).rejects.toMatchObject({
      code: PrismErrorCode.Lifecycle,
    });
    await driver.close();
    await connection.close();
  });
});
