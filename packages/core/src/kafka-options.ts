import type { Duration } from "./duration.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import type { Logger } from "./logger.js";
import { defineOptions, type OptionField, type OptionType, option, type Resolved } from "./options.js";

/** SASL mechanisms both Kafka drivers support. */
export type KafkaSaslMechanism = "plain" | "scram-sha-256" | "scram-sha-512";

/** The settings both Kafka drivers take; YAML uses the snake_case keys. Durations: "10s" or ms. */
export interface KafkaOptions {
  /** `host:port` of one or more brokers; required unless a driver takes a client instance instead. */
  readonly brokers?: readonly string[];
  readonly clientId?: string;
  readonly ssl?: boolean;
  readonly sasl?: {
    readonly mechanism: KafkaSaslMechanism;
    readonly username: string;
    readonly password: string;
  };
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
  readonly sessionTimeout?: Duration;
  /** How often a member tells the group it is alive, and learns of a rebalance. Default 1 s. */
  readonly heartbeatInterval?: Duration;
  /** Messages held between the client and the consumer per subscription. Default 256. */
  readonly bufferSize?: number;
  /** How often acknowledged queue offsets are committed to the Kafka group. Default 1 s. */
  readonly commitInterval?: Duration;
  /** Initial connection timeout per broker. Default 3 s. */
  readonly connectionTimeout?: Duration;
  /** Receives the client's warnings and errors. Default: none. */
  readonly logger?: Logger;
}

/** `KafkaOptions` with every default applied (durations in milliseconds). */
export interface ResolvedKafkaOptionFields {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean;
  readonly sasl: KafkaOptions["sasl"] | undefined;
  readonly createTopics: boolean;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly bufferSize: number;
  readonly commitIntervalMs: number;
  readonly connectionTimeoutMs: number;
  readonly logger: Logger | undefined;
}

const broker = option.string({ pattern: /^[^\s:]+:\d+$/, hint: '"host:port"' });
const isLogger = (v: unknown): v is Logger =>
  typeof v === "object" && v !== null && typeof (v as Logger).warn === "function";

/**
 * The options the Kafka drivers share (each adds its own, such as the client instance to reuse), for
 * `defineOptions({ ...kafkaOptionFields, … })`: the same keys, defaults and checks in both READMEs.
 */
export const kafkaOptionFields = {
  brokers: {
    type: option.list(broker, {
      commaSeparated: true,
      min: 1,
      hint: 'a list of "host:port" (or one comma-separated string)',
    }),
  },
  clientId: { type: option.string(), default: "prism-consumer" },
  ssl: { type: option.boolean(), default: false },
  sasl: defineOptions({
    mechanism: { type: option.oneOf(["plain", "scram-sha-256", "scram-sha-512"] as const), required: true },
    username: { type: option.string(), required: true },
    // Take it from an environment variable (`${KAFKA_PASSWORD}`); it is never echoed.
    password: { type: option.string({ secret: true }), required: true },
  }).type,
  createTopics: { type: option.boolean(), default: true },
  partitions: { type: option.integer({ min: 1 }), default: 1 },
  replicationFactor: { type: option.integer({ min: 1 }), default: 1 },
  sessionTimeout: { type: option.duration({ positive: true }), default: 10_000 },
  heartbeatInterval: { type: option.duration({ positive: true }), default: 1000 },
  bufferSize: { type: option.integer({ min: 1 }), default: 256 },
  commitInterval: { type: option.duration({ positive: true }), default: 1000 },
  connectionTimeout: { type: option.duration({ positive: true }), default: 3000 },
  logger: { type: option.instance(isLogger, "a Logger"), codeOnly: true },
} satisfies Record<string, OptionField<unknown> | OptionType<unknown>>;

/**
 * The rules across Kafka options: `brokers` is required unless a client instance is given (option
 * `clientKey`, in code, for a driver that takes one), and the connection settings are not used with one.
 * Throws a `ConfigError` with these and the `issues` found before.
 */
export function checkKafkaClientChoice(
  raw: Readonly<Record<string, unknown>>,
  path: string,
  clientKey: string | undefined,
  issues: ConfigIssue[],
): void {
  const given = (key: string | undefined) => key !== undefined && raw[key] != null;
  if (!given("brokers") && !given(clientKey)) {
    issues.push({ path: `${path}.brokers`, message: 'required, e.g. ["localhost:9092"]' });
  }
  if (given(clientKey)) {
    for (const key of ["brokers", "ssl", "sasl"].filter(given)) {
      issues.push({
        path: `${path}.${key}`,
        message: `not used with options.${clientKey}; set it on the client`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** The shared fields of options read with `kafkaOptionFields` (defaults applied), durations in ms. */
export function resolveKafkaOptionFields(o: Resolved<typeof kafkaOptionFields>): ResolvedKafkaOptionFields {
  return {
    brokers: o.brokers ?? [],
    clientId: o.clientId,
    ssl: o.ssl,
    sasl: o.sasl,
    createTopics: o.createTopics,
    partitions: o.partitions,
    replicationFactor: o.replicationFactor,
    sessionTimeoutMs: o.sessionTimeout,
    heartbeatIntervalMs: o.heartbeatInterval,
    bufferSize: o.bufferSize,
    commitIntervalMs: o.commitInterval,
    connectionTimeoutMs: o.connectionTimeout,
    logger: o.logger,
  };
}
