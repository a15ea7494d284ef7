import {
  type ConfigIssue,
  checkKafkaClientChoice,
  type Duration,
  defineOptions,
  type KafkaSaslMechanism,
  kafkaOptionFields,
  type Logger,
  type OptionsOf,
  option,
} from "@prism/consumer-core/driver";
import type { Kafka } from "kafkajs";

export type SaslMechanism = KafkaSaslMechanism;

/** Settings of a `KafkaDriver`; YAML uses the snake_case keys in the README's table. Durations: "10s" or ms. */
export interface KafkaDriverOptions {
  /** `host:port` of one or more brokers; required unless `kafka` is given. */
  readonly brokers?: readonly string[];
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
  readonly sessionTimeout?: Duration;
  /** How often a member tells the group it is alive, and learns of a rebalance. Default 1 s. */
  readonly heartbeatInterval?: Duration;
  /** Partitions fetched and handed over in parallel by one subscription. Default 1. */
  readonly partitionsConsumedConcurrently?: number;
  /** Messages held between the client and the consumer per subscription. Default 256. */
  readonly bufferSize?: number;
  /** How often acknowledged queue offsets are committed to the Kafka group. Default 1 s. */
  readonly commitInterval?: Duration;
  /** Initial connection timeout per broker. Default 3 s. */
  readonly connectionTimeout?: Duration;
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

const isKafka = (v: unknown): v is Kafka =>
  typeof v === "object" && v !== null && typeof (v as Kafka).consumer === "function";

/** The driver's options, declared once for YAML (snake_case) and code (camelCase): core's Kafka options plus these. */
export const kafkaOptions = defineOptions({
  ...kafkaOptionFields,
  partitionsConsumedConcurrently: { type: option.integer({ min: 1 }), default: 1 },
  kafka: { type: option.instance(isKafka, "a kafkajs Kafka client"), codeOnly: true },
});

/** Checks `KafkaDriver.connect` options and applies the defaults; throws `ConfigError` naming `options.*`. */
export function resolveOptions(options: KafkaDriverOptions): ResolvedKafkaOptions {
  const o = readChecked(options as Readonly<Record<string, unknown>>, "camel", "options") as OptionsOf<
    typeof kafkaOptions
  >;
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
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
    bufferSize: o.bufferSize,
    commitIntervalMs: o.commitInterval,
    connectionTimeoutMs: o.connectionTimeout,
    logger: o.logger,
    kafka: o.kafka,
  };
}

/** Reads a slot's `config` mapping (the seed's `brokers: [...]` and the keys in the README) into options. */
export function parseKafkaConfig(
  config: Readonly<Record<string, unknown>>,
  path: string,
): KafkaDriverOptions {
  return readChecked(config, "snake", path) as KafkaDriverOptions;
}

/** Reads the options; brokers are required unless a client is given (in code), and not with one. */
function readChecked(raw: Readonly<Record<string, unknown>>, style: "snake" | "camel", path: string) {
  const issues: ConfigIssue[] = [];
  const options = kafkaOptions.collect(raw, { style, path, defaults: style === "camel" }, issues);
  checkKafkaClientChoice(raw, path, "kafka", issues);
  return options as NonNullable<typeof options>;
}
