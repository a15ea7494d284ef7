import {
  type ConfigIssue,
  checkKafkaClientChoice,
  defineOptions,
  type KafkaOptions,
  type KafkaSaslMechanism,
  kafkaOptionFields,
  type OptionsOf,
  option,
  type ResolvedKafkaOptionFields,
  resolveKafkaOptionFields,
} from "@prism/consumer-core/driver";
import type { Kafka } from "kafkajs";

export type SaslMechanism = KafkaSaslMechanism;

/** Settings of a `KafkaDriver`: core's Kafka options (the README's table) plus kafkajs's own. */
export interface KafkaDriverOptions extends KafkaOptions {
  /** Partitions fetched and handed over in parallel by one subscription. Default 1. */
  readonly partitionsConsumedConcurrently?: number;
  /** An existing kafkajs client to use instead of `brokers`/`ssl`/`sasl` (not closed by the driver). */
  readonly kafka?: Kafka;
}

/** Options with every default applied. */
export interface ResolvedKafkaOptions extends ResolvedKafkaOptionFields {
  readonly partitionsConsumedConcurrently: number;
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
  const o = readChecked(options as Readonly<Record<string, unknown>>, "camel", "options");
  return {
    ...resolveKafkaOptionFields(o),
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
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
function readChecked(
  raw: Readonly<Record<string, unknown>>,
  style: "snake" | "camel",
  path: string,
): OptionsOf<typeof kafkaOptions> {
  const issues: ConfigIssue[] = [];
  const options = kafkaOptions.collect(raw, { style, path, defaults: style === "camel" }, issues);
  checkKafkaClientChoice(raw, path, "kafka", issues);
  return options as OptionsOf<typeof kafkaOptions>;
}
