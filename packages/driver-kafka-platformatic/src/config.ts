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

export type SaslMechanism = KafkaSaslMechanism;

/** Settings of a `PlatformaticKafkaDriver`: core's Kafka options (the README's table) plus its own. */
export interface PlatformaticKafkaDriverOptions extends KafkaOptions {
  /** `host:port` of one or more brokers; required. */
  readonly brokers: readonly string[];
  /** Most bytes one fetch returns per partition. Default 1 MiB. */
  readonly fetchMaxBytes?: number;
}

/** Options with every default applied. */
export interface ResolvedPlatformaticOptions extends ResolvedKafkaOptionFields {
  readonly fetchMaxBytes: number;
}

/** The driver's options, declared once for YAML (snake_case) and code (camelCase): core's Kafka options plus these. */
export const platformaticKafkaOptions = defineOptions({
  ...kafkaOptionFields,
  fetchMaxBytes: { type: option.integer({ min: 1024 }), default: 1024 * 1024 },
});

/** Checks `PlatformaticKafkaDriver.connect` options and applies the defaults; throws `ConfigError` naming `options.*`. */
export function resolveOptions(options: PlatformaticKafkaDriverOptions): ResolvedPlatformaticOptions {
  const o = readChecked(options as unknown as Readonly<Record<string, unknown>>, "camel", "options");
  return { ...resolveKafkaOptionFields(o), fetchMaxBytes: o.fetchMaxBytes };
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
