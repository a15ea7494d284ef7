import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfigFile, parseConfigYaml } from "./config-yaml.js";
import { ConfigError, isPrismError, PrismErrorCode } from "./errors.js";

const seedFile = fileURLToPath(new URL("../../../examples/order-processor.nats-redis.yaml", import.meta.url));

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(isPrismError(error) && error.code).toBe(PrismErrorCode.ConfigInvalid);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("YAML config", () => {
  it("loads the seed's file as written there", async () => {
    const config = await loadConfigFile(seedFile, { env: {} });
    expect(config).toEqual({
      name: "order-processor",
      description: "Processes order events",
      slots: {
        messageSource: { driver: "nats", config: { url: "nats://127.0.0.1:14222", max_reconnects: 10 } },
        stateStore: { driver: "redis", config: { url: "redis://127.0.0.1:16379", pool_size: 10 } },
        deadLetterQueue: { driver: "nats", config: { url: "nats://127.0.0.1:14222" } },
      },
      behavior: {
        consumerGroup: "order-processor-group",
        topic: "orders.created",
        maxRetries: 3,
        batchSize: 0,
        autoCommit: true,
        commitInterval: 5000,
      },
    });
  });

  it("substitutes ${VAR} and ${VAR:-default} so secrets stay out of the file", () => {
    const config = parseConfigYaml(
      `
name: c
slots:
  message_source: { driver: nats, config: { url: "nats://\${NATS_USER}:\${NATS_PASS}@nats:4222" } }
  state_store: { driver: redis, config: { address: "\${REDIS_ADDR:-localhost:6379}", note: "cost $\${5}" } }
behavior: { consumer_group: g, topic: t, max_retries: "\${RETRIES}", auto_commit: "\${AUTO:-false}" }
`,
      { env: { NATS_USER: "svc", NATS_PASS: "s3cret", RETRIES: "5" } },
    );
    expect(config.slots.messageSource.config).toEqual({ url: "nats://svc:s3cret@nats:4222" });
    expect(config.slots.stateStore.config).toEqual({ address: "localhost:6379", note: "cost ${5}" });
    expect(config.behavior.maxRetries).toBe(5);
    expect(config.behavior.autoCommit).toBe(false);
  });

  it("names every unset variable by path, without values", () => {
    const issues = issuesOf(() =>
      parseConfigYaml(
        `
name: c
slots:
  message_source: { driver: nats, config: { url: "nats://u:\${NATS_PASSWORD}@h" } }
  state_store: { driver: redis, config: { password: "\${REDIS_PASSWORD}" } }
behavior: { consumer_group: g, topic: t }
`,
        { env: {} },
      ),
    );
    expect(issues).toEqual([
      "slots.message_source.config.url: environment variable NATS_PASSWORD is not set",
      "slots.state_store.config.password: environment variable REDIS_PASSWORD is not set",
    ]);
  });

  it("lists every invalid field by its snake_case path", () => {
    const issues = issuesOf(() =>
      parseConfigYaml(`
name: ""
slots:
  message_source: { driver: memstore, interface: stream }
  state_store: { config: [] }
  dead_letter_queue: { driver: memstore, interface: queue }
  extra_slot: {}
behavior:
  consumer_group: g
  max_retries: "three"
  batch_size: -1
  batch_max_wait: 100
  concurrency: 0
  auto_commit: "yes"
  commit_interval: "5 seconds"
  on_exhausted: retry
  shutdown_timeout: soon
  retry_backoff: { initial: "1x", multiplier: 0.5, jitter: 2 }
  comit_interval: "5s"
`),
    );
    expect(issues).toEqual([
      'name: expected a non-empty string, got ""',
      "slots.extra_slot: unknown key; expected one of message_source, state_store, dead_letter_queue",
      'slots.message_source.interface: expected one of "pubsub", "queue", got "stream"',
      "slots.state_store.driver: required",
      "slots.state_store.config: expected a mapping, got a list",
      "slots.dead_letter_queue.interface: only the message source has one",
      "behavior.comit_interval: unknown key; expected one of consumer_group, topic, max_retries, retry_backoff, batch_size, batch_max_wait, concurrency, ordering, auto_commit, commit_interval, on_exhausted, retry_topic, dead_letter_topic, shutdown_timeout, processing_timeout, filter, deduplicate, payload_format, transactional",
      "behavior.topic: required",
      'behavior.max_retries: expected an integer from 0 to 100, got "three"',
      'behavior.retry_backoff.initial: expected a duration like "5s", "250ms" or "1m30s", got "1x"',
      "behavior.retry_backoff.multiplier: expected a number from 1 to 100, got 0.5",
      "behavior.retry_backoff.jitter: expected a number from 0 to 1, got 2",
      "behavior.batch_size: expected an integer >= 0, got -1",
      'behavior.batch_max_wait: expected a duration with a unit like "5s" or "250ms", got 100',
      "behavior.concurrency: expected an integer >= 1, got 0",
      'behavior.auto_commit: expected true or false, got "yes"',
      'behavior.commit_interval: expected a duration like "5s", "250ms" or "1m30s", got "5 seconds"',
      'behavior.on_exhausted: expected one of "dead-letter", "stop", "drop", "retry-topic", "park", got "retry"',
      'behavior.shutdown_timeout: expected a duration like "5s", "250ms" or "1m30s", got "soon"',
    ]);
  });

  it("requires the top-level sections", () => {
    expect(issuesOf(() => parseConfigYaml("description: nothing else\n"))).toEqual([
      "name: required",
      "slots: required",
      "behavior: required",
    ]);
    expect(issuesOf(() => parseConfigYaml("- a list\n"))).toEqual(["(root): expected a mapping, got a list"]);
  });

  it("reports a YAML syntax error once, at its line and column, with the file", () => {
    let caught: unknown;
    try {
      parseConfigYaml("name: a\nslots:\n  x: 1\n y: 2\nbehavior: {}\n", { source: "consumer.yaml" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toBe(
      "invalid consumer configuration in consumer.yaml:\n" +
        "  line 4, column 1: All mapping items must start at the same column",
    );
    // One mistake, one issue, even where the parser reports the errors that follow from it.
    expect(issuesOf(() => parseConfigYaml("name: a\n  bad: : x\nslots:\n"))).toEqual([
      "line 1, column 7: Nested mappings are not allowed in compact mappings",
    ]);
  });

  it("names a key given twice, with both lines, instead of silently keeping one", () => {
    expect(issuesOf(() => parseConfigYaml("name: a\nname: b\n"))).toEqual([
      "name: given twice (line 1, column 1 and line 2, column 1); YAML would keep only one: remove the other",
    ]);
    const nested = "name: a\nbehavior:\n  topic: t\n  consumer_group: g\n  topic: u\n";
    expect(issuesOf(() => parseConfigYaml(nested))).toEqual([
      "behavior.topic: given twice (line 3, column 3 and line 5, column 3); YAML would keep only one: remove the other",
    ]);
  });

  it("says when the file is missing", async () => {
    await expect(loadConfigFile("/nonexistent/consumer.yaml")).rejects.toThrow(
      "invalid consumer configuration in /nonexistent/consumer.yaml:\n  (file): file not found",
    );
  });
});
