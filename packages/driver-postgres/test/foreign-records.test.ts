import { Consumer, DeadLetterKey, type Message, silentLogger } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { PostgresDriver } from "../src/index.js";
import { testSchema } from "./postgres-test-schema.js";

// Rows written with plain SQL by producers we did not write: each reaches the processor intact, or the
// dead-letter queue with the reason, and the rows after it are processed. The NOTIFY the README
// documents wakes the consumer at once: the poll interval here is a minute.

const server = await backend("postgres");
const schema = testSchema(server.url, "foreign");
const text = (message: Message | undefined) => Buffer.from(message?.payload ?? []).toString("utf8");

async function waitFor(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.runIf(server.available)("rows written with SQL by producers we did not write", () => {
  afterAll(() => schema.drop());

  it("are delivered intact or dead-lettered with the reason; NOTIFY wakes the consumer at once", async () => {
    const queue = "orders";
    const source = await PostgresDriver.connect({
      connectionString: server.url,
      schema: schema.name,
      pollInterval: 60_000,
      logger: silentLogger,
    });
    const { queueTable, channel } = source.names;
    const store = new MemStore();
    const received: Message[] = [];
    const consumer = new Consumer({
      name: "foreign",
      behavior: { consumerGroup: "foreign", topic: queue },
      logger: silentLogger,
    })
      .bindSlots(source, store, store, { sourceInterface: "queue" })
      .setProcessor((message) => {
        received.push(message);
      });
    const sql = new pg.Client({ connectionString: server.url });
    await sql.connect();
    try {
      await consumer.start();
      // Let the receiver find the table empty and go to sleep on LISTEN.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const insert = (payload: string, metadata: string) =>
        sql.query(`INSERT INTO ${queueTable} (queue, payload, metadata) VALUES ($1, ${payload}, $2::jsonb)`, [
          queue,
          metadata,
        ]);
      await sql.query("BEGIN");
      await insert("convert_to('plain', 'UTF8')", '{"source": "psql"}');
      await insert("''::bytea", "{}");
      await insert("'\\x00fffe800a'::bytea", '{"kind": "binary"}');
      await insert("convert_to('unicode', 'UTF8')", '{"ключ-🔑": "значение ✓"}');
      await insert(
        "convert_to('nested', 'UTF8')",
        '{"retries": 2, "ok": true, "none": null, "tags": ["a"], "geo": {"lat": 1.5}}',
      );
      await insert("convert_to('array metadata', 'UTF8')", "[1, 2]");
      await insert("convert_to('null metadata', 'UTF8')", "null");
      await insert("convert_to('after', 'UTF8')", "{}");
      await sql.query("SELECT pg_notify($1, $2)", [channel, queue]);
      await sql.query("COMMIT");
      // Within 5 s, so woken by the NOTIFY: the next poll is a minute away.
      await waitFor(() => received.some((m) => text(m) === "after"), '"after"', 5_000);
      await waitFor(() => consumer.health().counters.deadLettered === 2, "the 2 dead letters", 10_000);
      await consumer.stop();

      expect(received.map(text)).toEqual([
        "plain",
        "",
        "\u0000\ufffd\ufffd\ufffd\n",
        "unicode",
        "nested",
        "after",
      ]);
      const [plain, empty, bytes, unicode, nested] = received;
      expect(plain?.metadata).toEqual({ source: "psql" });
      expect(empty?.metadata).toEqual({});
      expect(Buffer.from(bytes?.payload ?? [])).toEqual(Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a]));
      expect(unicode?.metadata).toEqual({ "ключ-🔑": "значение ✓" });
      expect(nested?.metadata).toEqual({
        retries: "2",
        ok: "true",
        none: "null",
        tags: '["a"]',
        geo: '{"lat":1.5}',
      });
      const abort = new AbortController();
      const dead: Message[] = [];
      for await (const message of await store.receive(`${queue}.dlq`, { signal: abort.signal })) {
        dead.push(message);
        if (dead.length === 2) abort.abort();
      }
      expect(dead.map((m) => [text(m), m.metadata[DeadLetterKey.Error]])).toEqual([
        [
          "array metadata",
          expect.stringMatching(/postgres row \d+: its metadata is an array, not a JSON object$/),
        ],
        [
          "null metadata",
          expect.stringMatching(/postgres row \d+: its metadata is null, not a JSON object$/),
        ],
      ]);
      const left = await sql.query(`SELECT count(*)::int AS n FROM ${queueTable} WHERE queue = $1`, [queue]);
      expect(left.rows[0]).toEqual({ n: 0 });
    } finally {
      await consumer.stop();
      await sql.end();
      await source.close();
    }
  }, 30_000);
});
