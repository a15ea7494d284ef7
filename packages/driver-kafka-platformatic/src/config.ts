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

export type SaslMechanism = KafkaSaslMechanism;

/** Settings of a `PlatformaticKafkaDriver`; YAML uses the snake_case keys in the README's table. Durations: "10s" or ms. */
export interface PlatformaticKafkaDriverOptions {
  /** `host:port` of one or more brokers; required. */
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
  readonly sessionTimeout?: Duration;
  /** How often a member tells the group it is alive, and learns of a rebalance. Default 1 s. */
  readonly heartbeatInterval?: Duration;
  /** Messages held between the client and the consumer per subscription. Default 256. */
  readonly bufferSize?: number;
  /** How often acknowledged queue offsets are committed to the Kafka group. Default 1 s. */
  readonly commitInterval?: Duration;
  /** Initial connection timeout per broker. Default 3 s. */
  readonly connectionTimeout?: Duration;
  /** Most bytes one fetch returns per partition. Default 1 MiB. */
  readonly fetchMaxBytes?: number;
  /** Receives warnings and errors of the driver's clients. Default: none. */
  readonly logger?: Logger;
}

/** Options with every default applied. */
export interface ResolvedPlatformaticOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean;
  readonly sasl: PlatformaticKafkaDriverOptions["sasl"] | undefined;
  readonly createTopics: boolean;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly bufferSize: number;
  readonly commitIntervalMs: number;
  readonly connectionTimeoutMs: number;
  readonly fetchMaxBytes: number;
  readonly logger: Logger | undefined;
}

/** The driver's options, declared once for YAML (snake_case) and code (camelCase): core's Kafka options plus these. */
export const platformaticKafkaOptions = defineOptions({
  ...kafkaOptionFields,
  fetchMaxBytes: { type: option.integer({ min: 1024 }), default: 1024 * 1024 },
});

/** Checks `PlatformaticKafkaDriver.connect` options and applies the defaults; throws `ConfigError` naming `options.*`. */
export function resolveOptions(options: PlatformaticKafkaDriverOptions): ResolvedPlatformaticOptions {
  const o = readChecked(options as unknown as Readonly<Record<string, unknown>>, "camel", "options");
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
    fetchMaxBytes: o.fetchMaxBytes,
    logger: o.logger,
  };
}

/** Reads a slot's `config` mapping (the seed's `brokers: [...]` and the keys in the README) into options. */
export function parsePlatformaticKafkaConfig(
  config: Readonly<Record<string, unknown>>,
  path: string,
): PlatformaticKafkaDriverOptions {
  return readChecked(config, "snake", path) as unknown as PlatformaticKafkaDriverOptions;
}

function readChecked(
  raw: Readonly<Record<string, unknown>>,
  style: "snake" | "camel",
  path: string,
): OptionsOf<typeof platformaticKafkaOptions> {
  const issues: ConfigIssue[] = [];
  const options = platformaticKafkaOptions.collect(raw, { style, path, defaults: style === "camel" }, issues);
  checkKafkaClientChoice(raw, path, undefined, issues);
  return options as OptionsOf<typeof platformaticKafkaOptions>;
}
