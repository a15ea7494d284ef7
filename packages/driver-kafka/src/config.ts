import {
  ConfigError,
  type ConfigIssue,
  type Logger,
  parseDuration,
  timerLimitProblem,
} from "@prism/consumer-core/driver";
import type { Kafka } from "kafkajs";

export type SaslMechanism = "plain" | "scram-sha-256" | "scram-sha-512";

/** Settings of a `KafkaDriver`; YAML uses the snake_case keys in the README's table. */
export interface KafkaDriverOptions {
  /** `host:port` of one or more brokers. */
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly ssl?: boolean;
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
  /** Create a topic (with `partitions` and `replicationFactor`) when it does not exist. Default true. */
  readonly createTopics?: boolean;
  /** Partitions of topics the driver creates. Default 1. */
  readonly partitions?: number;
  /** Replication factor of topics the driver creates. Default 1. */
  readonly replicationFactor?: number;
  /**
   * Group session timeout: a member that crashed loses its partitions after it (a member that stops
   * leaves the group at once). Default 10 s.
   */
  readonly sessionTimeoutMs?: number;
  /** How often a member tells the group it is alive, and learns of a rebalance. Default 1 s. */
  readonly heartbeatIntervalMs?: number;
  /** Partitions fetched and handed over in parallel by one subscription. Default 1. */
  readonly partitionsConsumedConcurrently?: number;
  /** Messages held between the client and the consumer per subscription. Default 256. */
  readonly bufferSize?: number;
  /** How often acknowledged queue offsets are committed to the Kafka group. Default 1 s. */
  readonly commitIntervalMs?: number;
  /** Initial connection timeout per broker. Default 3 s. */
  readonly connectionTimeoutMs?: number;
  /** Receives kafkajs's warnings and errors. Default: none. */
  readonly logger?: Logger;
  /** An existing kafkajs client to use instead of `brokers`/`ssl`/`sasl` (not closed by the driver). */
  readonly kafka?: Kafka;
}

/** Options with every default applied. */
export interface ResolvedKafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean;
  readonly sasl: KafkaDriverOptions["sasl"] | undefined;
  readonly createTopics: boolean;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly partitionsConsumedConcurrently: number;
  readonly bufferSize: number;
  readonly commitIntervalMs: number;
  readonly connectionTimeoutMs: number;
  readonly logger: Logger | undefined;
  readonly kafka: Kafka | undefined;
}

export function resolveOptions(options: KafkaDriverOptions): ResolvedKafkaOptions {
  return {
    brokers: options.brokers,
    clientId: options.clientId ?? "prism-consumer",
    ssl: options.ssl ?? false,
    sasl: options.sasl,
    createTopics: options.createTopics ?? true,
    partitions: options.partitions ?? 1,
    replicationFactor: options.replicationFactor ?? 1,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
    bufferSize: options.bufferSize ?? 256,
    commitIntervalMs: options.commitIntervalMs ?? 1000,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 3000,
    logger: options.logger,
    kafka: options.kafka,
  };
}

const keys = [
  "brokers",
  "client_id",
  "ssl",
  "sasl",
  "create_topics",
  "partitions",
  "replication_factor",
  "session_timeout",
  "heartbeat_interval",
  "partitions_consumed_concurrently",
  "buffer_size",
  "commit_interval",
  "connection_timeout",
] as const;

/** Reads a slot's `config` mapping (the seed's `brokers: [...]` and the keys above) into options. */
export function parseKafkaConfig(
  config: Readonly<Record<string, unknown>>,
  path: string,
): KafkaDriverOptions {
  const issues: ConfigIssue[] = [];
  const problem = (key: string, message: string) => issues.push({ path: `${path}.${key}`, message });
  const out: Record<string, unknown> = {};

  for (const key of Object.keys(config)) {
    if (!(keys as readonly string[]).includes(key))
      problem(key, `unknown key; expected one of ${keys.join(", ")}`);
  }
  const brokers = config.brokers;
  const list = typeof brokers === "string" ? brokers.split(",").map((b) => b.trim()) : brokers;
  if (brokers === undefined) problem("brokers", 'required, e.g. ["localhost:9092"]');
  else if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((b) => typeof b === "string" && /^[^\s:]+:\d+$/.test(b))
  ) {
    problem("brokers", 'expected a list of "host:port" (or one comma-separated string)');
  } else out.brokers = list;

  const text = (key: string, target: string) => {
    const value = config[key];
    if (value === undefined) return;
    if (typeof value === "string" && value !== "") out[target] = value;
    else problem(key, "expected a non-empty string");
  };
  const flag = (key: string, target: string) => {
    const value = config[key];
    if (value === undefined) return;
    if (typeof value === "boolean") out[target] = value;
    else problem(key, `expected true or false, got ${JSON.stringify(value)}`);
  };
  const integer = (key: string, target: string, min: number) => {
    const value = typeof config[key] === "string" ? Number(config[key]) : config[key];
    if (config[key] === undefined) return;
    if (typeof value === "number" && Number.isInteger(value) && value >= min) out[target] = value;
    else problem(key, `expected an integer >= ${min}, got ${JSON.stringify(config[key])}`);
  };
  const duration = (key: string, target: string) => {
    if (config[key] === undefined) return;
    const ms = parseDuration(config[key]);
    const tooLong = ms === undefined ? undefined : timerLimitProblem(ms, JSON.stringify(config[key]));
    if (tooLong) problem(key, tooLong);
    else if (ms !== undefined && ms > 0) out[target] = ms;
    else problem(key, `expected a duration like "30s", got ${JSON.stringify(config[key])}`);
  };

  text("client_id", "clientId");
  flag("ssl", "ssl");
  flag("create_topics", "createTopics");
  integer("partitions", "partitions", 1);
  integer("replication_factor", "replicationFactor", 1);
  duration("session_timeout", "sessionTimeoutMs");
  duration("heartbeat_interval", "heartbeatIntervalMs");
  integer("partitions_consumed_concurrently", "partitionsConsumedConcurrently", 1);
  integer("buffer_size", "bufferSize", 1);
  duration("commit_interval", "commitIntervalMs");
  duration("connection_timeout", "connectionTimeoutMs");

  const sasl = config.sasl;
  if (sasl !== undefined) {
    const record =
      typeof sasl === "object" && sasl !== null && !Array.isArray(sasl)
        ? (sasl as Record<string, unknown>)
        : undefined;
    const mechanisms = ["plain", "scram-sha-256", "scram-sha-512"];
    if (!record) problem("sasl", "expected a mapping with mechanism, username and password");
    else if (!mechanisms.includes(String(record.mechanism))) {
      problem(
        "sasl.mechanism",
        `expected one of ${mechanisms.join(", ")}, got ${JSON.stringify(record.mechanism)}`,
      );
    } else if (typeof record.username !== "string" || typeof record.password !== "string") {
      // The password itself is never echoed.
      problem(
        "sasl",
        "username and password must be strings (take the password from an environment variable)",
      );
    } else out.sasl = { mechanism: record.mechanism, username: record.username, password: record.password };
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out as unknown as KafkaDriverOptions;
}
