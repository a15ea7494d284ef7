import { silentLogger } from "@prism/consumer-core";
import {
  type CreatedNames,
  describeConsumerConformance,
  describeKeyValueConformance,
  describeQueueConformance,
} from "@prism/consumer-testkit";
import pg from "pg";
import { afterAll, describe, expect } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { PostgresDriver, postgresDriver } from "../src/index.js";
import { testSchema } from "./postgres-test-schema.js";

const server = await backend("postgres");
const schema = testSchema(server.url, "conformance");
const namePrefix = `prism-ct-${Date.now().toString(36)}`;
const tables = { queue: `"${schema.name}"."prism_queue"`, kv: `"${schema.name}"."prism_kv"` };

/** Runs one statement on the test server (outside the drivers under test). */
async function query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

// The kit's cleanup hook: its queues are rows of the queue table, its keys rows of the key/value table.
const deleteCreated = async ({ topics, keys }: CreatedNames) => {
  await query(`DELETE FROM ${tables.queue} WHERE queue = ANY($1)`, [topics]);
  await query(`DELETE FROM ${tables.kv} WHERE key = ANY($1)`, [keys]);
};

describe.runIf(server.available)("postgres", () => {
  afterAll(async () => {
    // The kit deleted what it created: no row of this run is left (then the schema itself goes).
    const left = await query<{ n: string }>(
      `SELECT (SELECT count(*) FROM ${tables.queue} WHERE queue LIKE $1) +
              (SELECT count(*) FROM ${tables.kv} WHERE key LIKE $1 OR key LIKE $2) AS n`,
      [`${namePrefix}%`, `consumer:${namePrefix}%`],
    );
    await schema.drop();
    expect(Number(left[0]?.n)).toBe(0);
  });

  const connect = () =>
    PostgresDriver.connect({
      connectionString: server.url,
      schema: schema.name,
      // Unsettled messages come back after 1 s, so the crashed-consumer case runs quickly.
      visibilityTimeout: 1000,
      // The restart case makes every pooled connection fail at once; that is expected here.
      logger: silentLogger,
    });
  const harness = { namePrefix, deleteCreated };

  describeQueueConformance({
    name: "postgres",
    create: connect,
    // A work queue: receivers share it, there are no groups to fan out to.
    features: {
      membersShare: true,
      everyGroupGetsAll: false,
      readsHistory: true,
      keepsWhileIdle: true,
      ordered: true,
      resumable: false,
      maxUnsettled: 100,
    },
    // quietMs above the visibility timeout: an unacknowledged or wrongly kept message would show.
    harness: { ...harness, quietMs: 1500, restartServer: server.restarter() },
  });

  describeKeyValueConformance({
    name: "postgres",
    create: connect,
    features: { ttl: true, compareAndSet: true },
    harness,
  });

  describeConsumerConformance({
    name: "postgres",
    driver: postgresDriver,
    config: { url: server.url, schema: schema.name, visibility_timeout: "1s", poll_interval: "200ms" },
    unreachableConfig: { host: "127.0.0.1", port: 1, password: "s3cret-pw" },
    source: "queue",
    stateStore: true,
    maxUnsettled: 100,
    harness: { ...harness, quietMs: 1500 },
  });
});
