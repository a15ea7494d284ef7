import { type Message, silentLogger } from "@prism/consumer-core";
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { backend } from "../../../../scripts/test-support/backends.mjs";
import { testSchema } from "../../test/postgres-test-schema.js";
import { PostgresDriver } from "../postgres-driver.js";

const server = await backend("postgres");
const schema = testSchema(server.url, "listen");
const bytes = (text: string) => new TextEncoder().encode(text);

// The poll interval is far beyond the test timeout: a message that arrives was announced by NOTIFY.
const pollIntervalMs = 600_000;

describe.runIf(server.available)("postgres receivers wake on NOTIFY", () => {
  let driver: PostgresDriver;
  let admin: pg.Client;
  beforeEach(async () => {
    driver = await PostgresDriver.connect({
      connectionString: server.url,
      schema: schema.name,
      pollInterval: pollIntervalMs,
      logger: silentLogger,
    });
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
  });
  afterEach(async () => {
    await driver.close();
    await admin.end();
  });
  afterAll(() => schema.drop());

  /** Backend pids of sessions listening on the driver's channel. */
  async function listeners(): Promise<number[]> {
    const result = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE query = $1 ORDER BY pid",
      [`LISTEN "${driver.names.channel}"`],
    );
    return result.rows.map((row) => row.pid);
  }

  async function waitUntil(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Gives receivers time to find their queue empty and start waiting, so only a NOTIFY can wake them. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

  /** Starts a receiver on `queue` and resolves with its first message. */
  function firstMessage(queue: string): { message: Promise<Message>; stop: () => void } {
    const abort = new AbortController();
    const message = (async () => {
      for await (const received of await driver.receive(queue, { signal: abort.signal })) return received;
      throw new Error("the receiver ended without a message");
    })();
    return { message, stop: () => abort.abort() };
  }

  it("delivers a message enqueued while a receiver waits, without waiting for the poll interval", async () => {
    const receiver = firstMessage("wake");
    await waitUntil(async () => (await listeners()).length === 1, "the LISTEN connection");
    await settle();
    const id = await driver.enqueue("wake", bytes("now"));
    expect((await receiver.message).id).toBe(id);
  });

  it("shares one LISTEN connection between receivers, each woken for its own queue", async () => {
    const first = firstMessage("first");
    const second = firstMessage("second");
    await waitUntil(async () => (await listeners()).length === 1, "the LISTEN connection");
    await settle();
    const secondId = await driver.enqueue("second", bytes("2"));
    const firstId = await driver.enqueue("first", bytes("1"));
    expect((await second.message).id).toBe(secondId);
    expect((await first.message).id).toBe(firstId);
    expect(await listeners()).toHaveLength(1);
  });

  it("listens again after the LISTEN connection is lost", async () => {
    const receiver = firstMessage("relisten");
    await waitUntil(async () => (await listeners()).length === 1, "the LISTEN connection");
    const [lost] = await listeners();
    await admin.query("SELECT pg_terminate_backend($1)", [lost]);
    await waitUntil(async () => {
      const now = await listeners();
      return now.length === 1 && now[0] !== lost;
    }, "a new LISTEN connection");
    await settle();
    const id = await driver.enqueue("relisten", bytes("again"));
    expect((await receiver.message).id).toBe(id);
  });
});
