import { type ConsumerState, decodeState, stateKey } from "@prism/consumer-core";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { backend } from "../scripts/test-support/backends.mjs";
import { describePluginEndToEnd, type RunNames } from "./support/end-to-end.js";

const kafka = await backend("kafka");
const postgres = await backend("postgres");
const brokers = kafka.url.split(",");
const schema = `prism_e2e_${Date.now().toString(36)}`;

async function query<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

const yaml = (names: RunNames, brokerList = brokers) => `
name: "${names.name}"
description: "Processes payments (kafka-postgres end to end)"
slots:
  message_source:
    driver: "kafka"
    config:
      brokers: [${brokerList.map((b) => `"${b}"`).join(", ")}]
      partitions: 3
      session_timeout: "10s"
      heartbeat_interval: "1s"
      connection_timeout: "1s"
  state_store:
    driver: "postgres"
    config:
      url: "\${DATABASE_URL:-${postgres.url}}"
      schema: "${schema}"
  dead_letter_queue:
    driver: "postgres"
    config:
      url: "\${DATABASE_URL:-${postgres.url}}"
      schema: "${schema}"
behavior:
  consumer_group: "${names.group}"
  topic: "${names.topic}"
  max_retries: 2
  retry_backoff: { initial: "10ms" }
  batch_size: 0
  auto_commit: true
  commit_interval: "1s"
`;

describePluginEndToEnd({
  plugin: "kafka-postgres",
  resumesFromCheckpoint: true,
  available: kafka.available && postgres.available,
  yaml,
  unreachableYaml: (names) => yaml(names, ["127.0.0.1:1"]),
  async publish(names, payloads) {
    const client = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: names.topic, numPartitions: 3 }] });
    await admin.disconnect();
    const producer = client.producer();
    await producer.connect();
    for (let i = 0; i < payloads.length; i += 500) {
      await producer.send({
        topic: names.topic,
        acks: -1,
        messages: payloads.slice(i, i + 500).map((value, j) => ({ key: `k${(i + j) % 9}`, value })),
      });
    }
    await producer.disconnect();
  },
  async readState(names) {
    const key = stateKey(names.group, names.topic, names.name);
    const exists = await query<{ present: boolean }>("SELECT to_regclass($1) IS NOT NULL AS present", [
      `${schema}.prism_kv`,
    ]);
    if (!exists[0]?.present) return undefined;
    const rows = await query<{ value: Buffer }>(`SELECT value FROM ${schema}.prism_kv WHERE key = $1`, [key]);
    return rows[0] ? (decodeState(rows[0].value, key) as ConsumerState) : undefined;
  },
  async deadLetters(names) {
    const exists = await query<{ present: boolean }>("SELECT to_regclass($1) IS NOT NULL AS present", [
      `${schema}.prism_queue`,
    ]);
    if (!exists[0]?.present) return [];
    const rows = await query<{ payload: Buffer; metadata: Record<string, string> }>(
      `SELECT payload, metadata FROM ${schema}.prism_queue WHERE queue = $1 ORDER BY id`,
      [`${names.topic}.dlq`],
    );
    return rows.map((row) => ({ payload: row.payload.toString("utf8"), metadata: row.metadata }));
  },
  async cleanup(names) {
    await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteGroups([names.group]).catch(() => {}); // gone already if it never committed
    await admin.deleteTopics({ topics: [names.topic] }).catch(() => {});
    await admin.disconnect();
  },
});
