import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../../scripts/test-support/backends.mjs";
import { deleteTopicsAndGroupsContaining } from "./kafka-test-support.js";
import type { KafkaUnderTest } from "./kafka-under-test.js";

const kafka = await backend("kafka");
const postgres = await backend("postgres");
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const schema = `prism_group_${run}`;
const topic = `prism-group-${run}`;
const group = `prism-group-${run}`;
const fixture = fileURLToPath(new URL("./fixtures/group-member.mjs", import.meta.url));
const total = 600;
const children: ChildProcess[] = [];

function startMember(under: KafkaUnderTest, name: string): Promise<ChildProcess> {
  const args = [under.module, under.exportName, name, topic, group, kafka.url, postgres.url, schema];
  const child = spawn(process.execPath, [fixture, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`member ${name} exited early with code ${code}`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes(`ready ${name}`)) resolve(child);
    });
  });
}

async function counts(db: pg.Client) {
  const { rows } = await db.query(
    `SELECT count(*)::int AS deliveries, count(DISTINCT id)::int AS distinct_ids,
            count(*) FILTER (WHERE member = 'a')::int AS by_a, count(*) FILTER (WHERE member = 'b')::int AS by_b
       FROM ${schema}.processed`,
  );
  return rows[0] as { deliveries: number; distinct_ids: number; by_a: number; by_b: number };
}

async function until(
  db: pg.Client,
  what: string,
  condition: (c: Awaited<ReturnType<typeof counts>>) => boolean,
) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const current = await counts(db);
    if (condition(current)) return current;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(current)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Two member processes of one group over the Kafka driver `under`; one is killed. */
export function describeKafkaGroup(under: KafkaUnderTest): void {
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    if (kafka.available) await deleteTopicsAndGroupsContaining(kafka.url.split(","), run);
    if (!postgres.available) return;
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  });

  describe.runIf(kafka.available && postgres.available)(
    `a Kafka (${under.label}) consumer group across two processes`,
    () => {
      it("moves partitions between members and processes every message at least once", {
        timeout: 240_000,
      }, async () => {
        const db = new pg.Client({ connectionString: postgres.url });
        await db.connect();
        await db.query(`CREATE SCHEMA ${schema}`);
        await db.query(`CREATE TABLE ${schema}.processed (member text NOT NULL, id text NOT NULL)`);
        const producer = await under.connect({ brokers: kafka.url.split(","), partitions: 4 });
        for (let n = 0; n < total; n++) {
          await producer.publish(topic, new TextEncoder().encode(String(n)), { "kafka-key": `k${n % 16}` });
        }
        await producer.close();

        const a = await startMember(under, "a");
        await until(db, "member a to start processing", (c) => c.by_a >= 50);
        await startMember(under, "b");
        await until(db, "member b to receive partitions", (c) => c.by_b >= 20);
        a.kill("SIGKILL");
        const final = await until(db, "every message", (c) => c.distinct_ids === total);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        await db.end();

        expect(final.distinct_ids).toBe(total);
        expect(final.by_a).toBeGreaterThan(0);
        expect(final.by_b).toBeGreaterThan(0);
        // At least once: a killed member's unfinished (or uncommitted) messages are processed again.
        expect(final.deliveries).toBeGreaterThanOrEqual(total);
        console.info(
          `kafka (${under.label}) group: ${total} messages, ${final.deliveries} deliveries (a ${final.by_a}, b ${final.by_b}), ` +
            `${final.deliveries - total} duplicates after SIGKILL of a`,
        );
      });
    },
  );
}
