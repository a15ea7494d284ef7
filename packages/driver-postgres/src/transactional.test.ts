import { Consumer, type ConsumerOptions, type Message, silentLogger } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { testSchema } from "../test/postgres-test-schema.js";
import { PostgresDriver } from "./postgres-driver.js";
import { transactionOf } from "./transaction-of.js";

const server = await backend("postgres");
const schema = testSchema(server.url, "tx");
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const topic = "orders";

/** Effects and counts: `effects` is the side table the processors write through their transaction. */
let admin: pg.Pool;
let store: PostgresDriver;
const effects = () => `"${schema.name}".effects`;

function options(overrides: Partial<ConsumerOptions["behavior"]> = {}, name = "tx"): ConsumerOptions {
  return {
    name,
    logger: silentLogger,
    behavior: {
      consumerGroup: "g",
      topic,
      transactional: true,
      maxRetries: 5,
      retryBackoff: { initial: 1, max: 4, jitter: 0 },
      commitInterval: "1h",
      shutdownTimeout: "5s",
      ...overrides,
    },
  };
}

/** A processor inserting one effect row per message through the transaction (no unique key: duplicates show). */
async function writeEffect(message: Message, context: { transaction?: unknown }, by = "p"): Promise<void> {
  await transactionOf(context).query(`INSERT INTO ${effects()} (id, by) VALUES ($1, $2)`, [
    decoder.decode(message.payload),
    by,
  ]);
}

async function publish(source: MemStore, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await source.publish(topic, encoder.encode(`m${i}`));
}

async function effectCounts(): Promise<{ rows: number; distinct: number }> {
  const { rows } = await admin.query<{ rows: string; distinct: string }>(
    `SELECT count(*) AS rows, count(DISTINCT id) AS distinct FROM ${effects()}`,
  );
  return { rows: Number(rows[0]?.rows), distinct: Number(rows[0]?.distinct) };
}

async function recorded(): Promise<number> {
  const { rows } = await admin.query<{ n: string }>(
    `SELECT count(*) AS n FROM "${schema.name}".prism_processed`,
  );
  return Number(rows[0]?.n);
}

async function until(condition: () => Promise<boolean> | boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.runIf(server.available)("transactional mode against PostgreSQL", () => {
  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: server.url, max: 4 });
    store = await PostgresDriver.connect({ connectionString: server.url, schema: schema.name });
    await admin.query(`CREATE TABLE ${effects()} (id text NOT NULL, by text NOT NULL)`);
  });
  afterAll(async () => {
    await store?.close();
    await admin?.end();
    await schema.drop();
  });

  // Each test starts with no effects, no records and no checkpoint.
  const reset = async () => {
    await admin.query(`TRUNCATE ${effects()}, "${schema.name}".prism_kv`);
    await admin.query(`TRUNCATE "${schema.name}".prism_processed`).catch(() => {});
  };

  it("a replay of everything after a crash (no checkpoint written) changes no effect and runs no processor", async () => {
    await reset();
    const first = new MemStore();
    await publish(first, 0, 200);
    const a = new Consumer(options({ autoCommit: false }))
      .bindSlots(first, store)
      .setProcessor((m, c) => writeEffect(m, c));
    await a.start();
    await until(() => a.health().counters.processed === 200, "200 processed");
    await a.stop();
    // As after a SIGKILL before any checkpoint: the broker hands every message over again.
    const again = new MemStore();
    await publish(again, 0, 250);
    let called = 0;
    const b = new Consumer(options({ autoCommit: false })).bindSlots(again, store).setProcessor((m, c) => {
      called++;
      return writeEffect(m, c);
    });
    await b.start();
    await until(() => b.health().counters.processed === 250, "250 done");
    await b.stop();
    expect(await effectCounts()).toEqual({ rows: 250, distinct: 250 });
    expect(called).toBe(50);
    expect(b.health().counters.deduplicated).toBe(200);
  });

  it("a connection killed mid-transaction leaves no effect of it; the retry writes each effect once", async () => {
    await reset();
    const source = new MemStore();
    await publish(source, 0, 20);
    let killed = 0;
    const consumer = new Consumer(options())
      .bindSlots(source, store)
      .setProcessor(async (message, context) => {
        await writeEffect(message, context);
        if (decoder.decode(message.payload) === "m7" && killed === 0) {
          killed++;
          // The server ends the session as a crash would: the open transaction is rolled back.
          const client = transactionOf(context) as pg.PoolClient & { processID: number };
          await admin.query("SELECT pg_terminate_backend($1)", [client.processID]);
          await client.query("SELECT 1");
        }
      });
    await consumer.start();
    await until(() => consumer.health().counters.processed === 20, "20 processed");
    await consumer.stop();
    expect(killed).toBe(1);
    expect(consumer.health().counters.retries).toBeGreaterThanOrEqual(1);
    expect(await effectCounts()).toEqual({ rows: 20, distinct: 20 });
  });

  it("fencing: a member processing a message another member has open waits, then skips it when that one commits", async () => {
    await reset();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const oldOwner = new MemStore();
    const newOwner = new MemStore();
    await publish(oldOwner, 0, 1);
    await publish(newOwner, 0, 1);
    const slow = new Consumer(options({}, "tx")).bindSlots(oldOwner, store).setProcessor(async (m, c) => {
      await writeEffect(m, c, "old");
      await gate;
    });
    let newCalled = 0;
    const fast = new Consumer(options({}, "tx")).bindSlots(newOwner, store).setProcessor((m, c) => {
      newCalled++;
      return writeEffect(m, c, "new");
    });
    await slow.start();
    await until(() => slow.health().inFlight === 1, "the old owner's transaction open");
    await fast.start();
    // The new owner's record of m0 waits on the old owner's open transaction.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fast.health().counters.processed).toBe(0);
    release();
    await until(() => fast.health().counters.deduplicated === 1, "the new owner skipped m0");
    await Promise.all([slow.stop(), fast.stop()]);
    expect(newCalled).toBe(0);
    const { rows } = await admin.query(`SELECT id, by FROM ${effects()}`);
    expect(rows).toEqual([{ id: "m0", by: "old" }]);
  });

  it("fencing: a member that lost a partition cannot commit effects for what its next owner committed", async () => {
    await reset();
    const newOwner = new MemStore();
    const zombie = new MemStore();
    await publish(newOwner, 0, 30);
    const owner = new Consumer(options())
      .bindSlots(newOwner, store)
      .setProcessor((m, c) => writeEffect(m, c, "owner"));
    await owner.start();
    await until(() => owner.health().counters.processed === 30, "30 processed");
    // The old owner comes back late with messages it had fetched before losing the partition.
    await publish(zombie, 0, 30);
    let zombieCalled = 0;
    const late = new Consumer(options()).bindSlots(zombie, store).setProcessor((m, c) => {
      zombieCalled++;
      return writeEffect(m, c, "zombie");
    });
    await late.start();
    await until(() => late.health().counters.deduplicated === 30, "the zombie skipped all 30");
    await Promise.all([owner.stop(), late.stop()]);
    expect(zombieCalled).toBe(0);
    expect(await effectCounts()).toEqual({ rows: 30, distinct: 30 });
  });

  it("batches: one transaction per batch; a failed batch leaves none of its effects; replayed members are skipped", async () => {
    await reset();
    const source = new MemStore();
    await publish(source, 0, 40);
    let failOnce = true;
    const sizes: number[] = [];
    const consumer = new Consumer(options({ batchSize: 10, batchMaxWait: "20ms", autoCommit: false }))
      .bindSlots(source, store)
      .setBatchProcessor(async (messages, context) => {
        sizes.push(messages.length);
        for (const m of messages) await writeEffect(m, context);
        if (failOnce && messages.some((m) => decoder.decode(m.payload) === "m15")) {
          failOnce = false;
          throw new Error("the batch fails after writing its effects");
        }
      });
    await consumer.start();
    await until(() => consumer.health().counters.processed === 40, "40 processed");
    await consumer.stop();
    expect(await effectCounts()).toEqual({ rows: 40, distinct: 40 });
    // Replayed with 5 new messages: every batch holding old ones is cut down to the new ones.
    const again = new MemStore();
    await publish(again, 0, 45);
    const replayed: string[] = [];
    const second = new Consumer(options({ batchSize: 10, batchMaxWait: "20ms" }))
      .bindSlots(again, store)
      .setBatchProcessor(async (messages, context) => {
        for (const m of messages) {
          replayed.push(decoder.decode(m.payload));
          await writeEffect(m, context);
        }
      });
    await second.start();
    await until(() => second.health().counters.deduplicated === 40, "40 skipped");
    await until(async () => (await effectCounts()).rows === 45, "45 effects");
    await second.stop();
    expect(replayed).toEqual(["m40", "m41", "m42", "m43", "m44"]);
    expect(await effectCounts()).toEqual({ rows: 45, distinct: 45 });
  });

  it.each(["partition", "none"] as const)(
    "concurrency 8, ordering %s: zero duplicates across a full replay",
    async (ordering) => {
      await reset();
      const run = async (count: number) => {
        const source = new MemStore();
        await publish(source, 0, count);
        const consumer = new Consumer(options({ concurrency: 8, ordering, autoCommit: false }))
          .bindSlots(source, store)
          .setProcessor((m, c) => writeEffect(m, c));
        await consumer.start();
        await until(() => consumer.health().counters.processed === count, `${count} done`);
        await consumer.stop();
        return consumer.health().counters;
      };
      await run(300);
      const second = await run(400);
      expect(second.deduplicated).toBe(300);
      expect(await effectCounts()).toEqual({ rows: 400, distinct: 400 });
    },
  );

  it("a dead-lettered message is recorded too: a replay neither processes nor dead-letters it again", async () => {
    await reset();
    const dlq = new MemStore();
    const run = async () => {
      const source = new MemStore();
      await publish(source, 0, 5);
      const calls: string[] = [];
      const consumer = new Consumer(options({ maxRetries: 0, autoCommit: false }))
        .bindSlots(source, store, dlq)
        .setProcessor(async (m, c) => {
          const id = decoder.decode(m.payload);
          calls.push(id);
          await writeEffect(m, c);
          if (id === "m2") throw new Error("m2 always fails");
        });
      await consumer.start();
      await until(
        () => consumer.health().counters.processed + consumer.health().counters.deadLettered === 5,
        "5 done",
      );
      await consumer.stop();
      return { calls, counters: consumer.health().counters };
    };
    const first = await run();
    expect(first.calls).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(first.counters.deadLettered).toBe(1);
    const replay = await run();
    expect(replay.calls).toEqual([]);
    expect(replay.counters.deadLettered).toBe(0);
    expect((await dlq.browse("orders.dlq")).length).toBe(1);
    expect(await effectCounts()).toEqual({ rows: 4, distinct: 4 });
  });

  it("forgets the records a written checkpoint covers when the member leaves", async () => {
    await reset();
    const source = new MemStore();
    await publish(source, 0, 50);
    const consumer = new Consumer(options())
      .bindSlots(source, store)
      .setProcessor((m, c) => writeEffect(m, c));
    await consumer.start();
    await until(() => consumer.health().counters.processed === 50, "50 processed");
    expect(await recorded()).toBe(50);
    await consumer.stop();
    expect(await recorded()).toBe(0);
    expect(consumer.health().checkpoint.offsets).toEqual({ "0": 50 });
  });

  it("transactionOf says what is missing when the consumer is not transactional", () => {
    expect(() => transactionOf({})).toThrow(/set behavior.transactional: true/);
  });
});
