import { type Message, silentLogger } from "@prism/consumer-core";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { backend } from "../../../../scripts/test-support/backends.mjs";
import { testSchema } from "../../test/postgres-test-schema.js";
import { PostgresDriver } from "../postgres-driver.js";

const server = await backend("postgres");
const schema = testSchema(server.url, "queue");
const bytes = (text: string) => new TextEncoder().encode(text);

/** Reads `count` messages from a new receiver, then ends it (without settling them). */
async function take(driver: PostgresDriver, queue: string, count: number): Promise<Message[]> {
  const abort = new AbortController();
  const taken: Message[] = [];
  for await (const message of await driver.receive(queue, { signal: abort.signal })) {
    taken.push(message);
    if (taken.length === count) break;
  }
  abort.abort();
  return taken;
}

describe.runIf(server.available)("postgres queue", () => {
  let driver: PostgresDriver;
  let queue: string;
  beforeEach(async () => {
    driver = await PostgresDriver.connect({
      connectionString: server.url,
      schema: schema.name,
      visibilityTimeout: 60_000,
      logger: silentLogger,
    });
    queue = `q-${Math.random().toString(36).slice(2, 10)}`;
  });
  afterEach(() => driver.close());
  afterAll(() => schema.drop());

  async function rows() {
    const result = await driver.pool.query<{
      id: string;
      attempts: number;
      metadata: unknown;
      ready: boolean;
    }>(
      `SELECT id, attempts, metadata, visible_at <= now() AS ready FROM ${driver.names.queueTable}
        WHERE queue = $1 ORDER BY id`,
      [queue],
    );
    return result.rows;
  }

  it("keeps a message invisible past its visibility timeout while its receive runs, not after", async () => {
    const short = await PostgresDriver.connect({
      connectionString: server.url,
      schema: schema.name,
      visibilityTimeout: 300,
      logger: silentLogger,
    });
    try {
      await short.enqueue(queue, bytes("slow"));
      // A receive that holds the message as a slow processor would: it asks for nothing more meanwhile.
      const abort = new AbortController();
      const holding = (await short.receive(queue, { signal: abort.signal }))[Symbol.asyncIterator]();
      const taken = (await holding.next()).value as Message;
      await new Promise((resolve) => setTimeout(resolve, 1200)); // four visibility timeouts
      expect(await rows()).toMatchObject([{ attempts: 1, ready: false }]);
      // The receive ends (its process stops) without settling: the lease is no longer renewed.
      abort.abort();
      await holding.return?.();
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await rows()).toMatchObject([{ attempts: 1, ready: true }]);
      const [again] = await take(short, queue, 1);
      expect(again?.deliveryAttempt).toBe(2);
      expect(again?.id).toBe(taken.id);
    } finally {
      await short.close();
    }
  });

  it("delivers a message with its id, position, timestamp, metadata and first attempt", async () => {
    const before = Date.now();
    const id = await driver.enqueue(queue, bytes("payload"), { "content-type": "text/plain" });
    const [message] = await take(driver, queue, 1);
    expect(message).toEqual({
      id,
      topic: queue,
      payload: bytes("payload"),
      metadata: { "content-type": "text/plain" },
      timestamp: expect.any(Number),
      position: { partition: "0", offset: Number(id) },
      deliveryAttempt: 1,
    });
    expect(message?.payload).toBeInstanceOf(Uint8Array);
    // Database and test clocks may differ slightly; a minute is far beyond that and far below a bug.
    expect(Math.abs((message?.timestamp ?? 0) - before)).toBeLessThan(60_000);
  });

  it("keeps a received message in the table, hidden, until it is acknowledged", async () => {
    await driver.enqueue(queue, bytes("a"), { k: "v" });
    const [message] = await take(driver, queue, 1);
    expect(await rows()).toEqual([{ id: message?.id, attempts: 1, metadata: { k: "v" }, ready: false }]);
    await driver.acknowledge(message as Message);
    expect(await rows()).toEqual([]);
  });

  it("makes a message rejected with requeue ready at once; the next delivery counts it", async () => {
    await driver.enqueue(queue, bytes("a"));
    const [first] = await take(driver, queue, 1);
    await driver.reject(first as Message, true);
    expect(await rows()).toMatchObject([{ attempts: 1, ready: true }]);
    const [second] = await take(driver, queue, 1);
    expect(second?.id).toBe(first?.id);
    expect(second?.deliveryAttempt).toBe(2);
  });

  it("ignores a requeue from a delivery that is no longer the current one", async () => {
    await driver.enqueue(queue, bytes("a"));
    const [first] = await take(driver, queue, 1);
    await driver.reject(first as Message, true);
    const [second] = await take(driver, queue, 1);
    // The first receiver gives it back late, while the second one holds it: it must stay hidden.
    await driver.reject(first as Message, true);
    expect(await rows()).toMatchObject([{ attempts: 2, ready: false }]);
    await driver.acknowledge(second as Message);
    expect(await rows()).toEqual([]);
  });

  it("deletes a message rejected without requeue", async () => {
    await driver.enqueue(queue, bytes("a"));
    const [message] = await take(driver, queue, 1);
    await driver.reject(message as Message, false);
    expect(await rows()).toEqual([]);
  });

  it("gives back at once, uncounted, what it claimed but never handed out when receiving ends", async () => {
    for (const n of [1, 2, 3, 4, 5]) await driver.enqueue(queue, bytes(String(n)));
    const [first] = await take(driver, queue, 1);
    const left = await rows();
    expect(left.map((row) => [row.attempts, row.ready])).toEqual([
      [1, false],
      [0, true],
      [0, true],
      [0, true],
      [0, true],
    ]);
    expect(left[0]?.id).toBe(first?.id);
  });

  it("lets competing receivers share a queue without giving one message to both", async () => {
    const count = 200;
    for (let i = 0; i < count; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => driver.enqueue(queue, bytes(String(i + j)))));
    }
    const abort = new AbortController();
    const seen: string[][] = [[], [], []];
    const receivers = seen.map(async (ids) => {
      for await (const message of await driver.receive(queue, { signal: abort.signal })) {
        ids.push(message.id);
        await driver.acknowledge(message);
        if (seen.flat().length >= count) abort.abort();
      }
    });
    await Promise.all(receivers);
    const all = seen.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(count);
  });

  it("ends a receive iteration when the driver is closed", async () => {
    const iteration = (async () => {
      const got: Message[] = [];
      for await (const message of await driver.receive(queue)) got.push(message);
      return got;
    })();
    await driver.close();
    expect(await iteration).toEqual([]);
  });
});
