// The dead-letter queue from the command line, over real Kafka (source) and PostgreSQL (state and DLQ): a
// failing handler dead-letters some messages; `dlq list` and `show` report why; `dlq replay` puts them back
// on their topic; the fixed handler then processes every dead letter exactly once.
import { KafkaDriver } from "@prism/driver-kafka";
import { PostgresDriver } from "@prism/driver-postgres";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { handler, processedLines, runCli, startCli, tempDir, waitFor, writeConfig } from "./cli-process.js";

const kafka = await backend("kafka");
const postgres = await backend("postgres");
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const topic = `cli-dlq-${run}`;
const group = `cli-dlq-${run}`;
const schema = `cli_${run}`;
const bytes = (text: string) => new TextEncoder().encode(text);

describe.runIf(kafka.available && postgres.available)("prism-consumer dlq over Kafka and PostgreSQL", () => {
  const brokers = kafka.url.split(",");
  const env = (out: string, fail?: string): Record<string, string> => ({
    KAFKA_BROKERS: kafka.url,
    DATABASE_URL: postgres.url,
    PRISM_TEST_OUT: out,
    ...(fail && { PRISM_TEST_FAIL: fail }),
  });
  const file = writeConfig(
    tempDir(),
    "consumer.yaml",
    `name: cli-dlq
slots:
  message_source: { driver: kafka, config: { brokers: ["\${KAFKA_BROKERS}"], partitions: 2 } }
  state_store: { driver: postgres, config: { url: "\${DATABASE_URL}", schema: ${schema} } }
  dead_letter_queue: { driver: postgres, config: { url: "\${DATABASE_URL}", schema: ${schema} } }
behavior:
  consumer_group: ${group}
  topic: ${topic}
  max_retries: 0
  commit_interval: 200ms
  shutdown_timeout: 10s
`,
  );
  const dlq = async (...args: string[]) => {
    const result = await runCli(["dlq", ...args], env(""));
    const lines = result.stdout.split("\n").filter((line) => line.startsWith("{"));
    return { ...result, entries: lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
  };

  afterAll(async () => {
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteGroups([group]).catch(() => {});
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it("lists dead letters with reasons, replays them, and the fixed handler processes each once", async () => {
    const producer = await KafkaDriver.connect({ brokers });
    for (let i = 0; i < 20; i++) await producer.publish(topic, bytes(`m-${i}`), { "kafka-key": `k${i}` });
    await producer.close();
    const out = `${tempDir()}/processed.txt`;
    const failing = startCli(["run", file, "--processor", handler], env(out, "^m-(3|7|11|15)$"));
    await waitFor("16 processed", () => processedLines(out).length === 16, 60_000);
    await waitFor(
      "4 dead letters",
      async () => (await dlq("list", file, "--json")).entries.length === 4,
      30_000,
    );
    failing.child.kill("SIGTERM");
    expect(await failing.exited).toBe(0);

    const listed = (await dlq("list", file, "--json")).entries;
    expect(listed.map((entry) => entry.error).sort()).toEqual([
      "refused m-11",
      "refused m-15",
      "refused m-3",
      "refused m-7",
    ]);
    for (const entry of listed) {
      expect(entry.attempts).toBe(1);
      expect(entry.originalTopic).toBe(topic);
      expect(entry.consumer).toBe("cli-dlq");
    }
    const shown = await dlq("show", file, String(listed[0]?.id));
    expect(shown.code).toBe(0);
    expect(String(shown.entries[0]?.payload)).toMatch(/^m-(3|7|11|15)$/);
    expect((await dlq("list", file, "--json", "--error", "m-7")).entries).toHaveLength(1);
    expect((await dlq("list", file, "--json", "--newer-than", "1h")).entries).toHaveLength(4);
    expect((await dlq("list", file, "--json", "--older-than", "1h")).entries).toHaveLength(0);

    const dry = await dlq("replay", file, "--dry-run");
    expect(dry.stdout).toContain("would replay 4 dead letters");
    expect((await dlq("list", file, "--json")).entries).toHaveLength(4);
    const replay = await dlq("replay", file);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain("replayed 4 dead letters");
    expect((await dlq("list", file, "--json")).entries).toHaveLength(0);

    const fixed = startCli(["run", file, "--processor", handler], env(out));
    await waitFor("the replayed four", () => processedLines(out).length >= 20, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // anything processed twice would show now
    fixed.child.kill("SIGTERM");
    expect(await fixed.exited).toBe(0);
    const lines = processedLines(out);
    expect(lines).toHaveLength(20);
    expect(new Set(lines).size).toBe(20);
  }, 180_000);

  it("purges by age or all, and refuses to purge without a filter", async () => {
    const driver = await PostgresDriver.connect({ connectionString: postgres.url, schema });
    const dlqTopic = `${topic}.dlq`;
    const old = String(Date.now() - 3 * 3600_000);
    await driver.enqueue(dlqTopic, bytes("old"), { "prism-error": "boom", "prism-last-failure-at": old });
    await driver.enqueue(dlqTopic, bytes("new"), {
      "prism-error": "boom",
      "prism-last-failure-at": String(Date.now()),
    });
    await driver.close();
    expect((await dlq("purge", file)).code).toBe(2);
    expect((await dlq("purge", file, "--older-than", "2h")).stdout).toContain("removed 1 dead letter");
    expect((await dlq("list", file, "--json")).entries.map((e) => e.error)).toEqual(["boom"]);
    expect((await dlq("purge", file, "--all")).stdout).toContain("removed 1 dead letter");
    expect((await dlq("list", file, "--json")).entries).toHaveLength(0);
  });
});
