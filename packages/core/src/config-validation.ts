import type { BehaviorConfig, ConsumerConfig } from "./config.js";
import { ExhaustedAction, Ordering, SourceInterface } from "./config.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { defineOptions, type KeyStyle, type OptionType, option, show } from "./options.js";
import { PayloadFormat } from "./payload.js";

export type { KeyStyle } from "./options.js";

/**
 * Retries per message at most. With the default backoff (capped at 30 s) 100 retries hold a message —
 * and, in order, everything behind it on its partition — for about 50 minutes; a larger number would
 * let one poison message block a partition for days with nothing reported.
 */
export const maxRetriesLimit = 100;

/** `{ key: "value" }` or `{ key: ["one", "other"] }`: each key must carry one of its values. */
const metadataMatch: OptionType<Readonly<Record<string, string | readonly string[]>>> = {
  read: (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v))
      return { problem: `expected a mapping, got ${show(v)}` };
    for (const [key, allowed] of Object.entries(v)) {
      const values = Array.isArray(allowed) ? allowed : [allowed];
      if (values.length === 0 || !values.every((x) => typeof x === "string")) {
        return { problem: `${key}: expected a string or a list of strings, got ${show(allowed)}` };
      }
    }
    return { value: v as Record<string, string | readonly string[]> };
  },
  jsonSchema: () => ({
    type: "object",
    additionalProperties: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
  }),
};

/** The behavior section, declared once for YAML (snake_case) and code (camelCase). */
export const behaviorOptions = defineOptions({
  consumerGroup: {
    type: option.string(),
    required: true,
    description: "consumers sharing it share the messages",
  },
  topic: { type: option.string(), required: true, description: "topic, subject or queue to consume" },
  maxRetries: {
    type: option.integer({ min: 0, max: maxRetriesLimit }),
    description: "retries per message after its first attempt (default 3)",
  },
  retryBackoff: defineOptions({
    initial: { type: option.duration(), description: 'delay before the first retry (default "100ms")' },
    max: { type: option.duration(), description: 'cap on any delay (default "30s")' },
    multiplier: { type: option.number({ min: 1, max: 100 }), description: "growth per retry (default 2)" },
    jitter: {
      type: option.number({ min: 0, max: 1 }),
      description: "share of each delay that is random (default 0.5)",
    },
  }).type,
  batchSize: {
    type: option.integer({ min: 0 }),
    description: "0: one message at a time; n: batches of up to n",
  },
  batchMaxWait: {
    type: option.duration(),
    description: 'longest wait for a batch to fill (default "100ms")',
  },
  concurrency: {
    type: option.integer({ min: 1 }),
    description: "messages (or batches) in flight (default 1)",
  },
  ordering: option.oneOf(Object.values(Ordering)),
  autoCommit: option.boolean(),
  commitInterval: {
    type: option.duration(),
    description: 'how often the checkpoint is written (default "5s"; 0: after every message)',
  },
  onExhausted: option.oneOf(Object.values(ExhaustedAction)),
  retryTopic: defineOptions({
    topic: { type: option.string(), description: 'where failed messages wait (default "{topic}.retry")' },
    delay: {
      type: option.duration({ positive: true }),
      required: true,
      description: "how long after failing a message is processed again",
    },
    maxRounds: {
      type: option.integer({ min: 1, max: maxRetriesLimit }),
      description: "rounds through the retry topic before the dead-letter queue (default 3)",
    },
  }).type,
  deadLetterTopic: option.string(),
  shutdownTimeout: {
    type: option.duration(),
    description: 'how long stop() waits for in-flight work (default "30s")',
  },
  processingTimeout: {
    type: option.duration(),
    description: 'deadline of one attempt (default "30s"; 0: none)',
  },
  filter: defineOptions({ topic: option.string(), metadata: metadataMatch }).type,
  deduplicate: defineOptions({
    window: { type: option.duration({ positive: true }), required: true },
    key: option.string(),
  }).type,
  payloadFormat: option.oneOf(Object.values(PayloadFormat)),
  transactional: {
    type: option.boolean(),
    description:
      "each attempt in a transaction of the state store (PostgreSQL) that records the positions: effects written through it happen once (default false)",
  },
});

const slotFields = {
  driver: { type: option.string(), required: true, description: "a name in the consumer's driver map" },
  config: { type: option.mapping(), description: "the driver's settings, checked by the driver" },
  package: {
    type: option.string(),
    description: "for runners (prism-consumer): the npm package of a third-party driver",
  },
} as const;

/** Only the message source chooses an interface; elsewhere the key is an error, reported where it is. */
const noInterface: OptionType<never> = {
  read: () => ({ problem: "only the message source has one" }),
  jsonSchema: () => ({ not: {} }),
};

const slotsOptions = defineOptions({
  messageSource: {
    type: defineOptions({ ...slotFields, interface: option.oneOf(Object.values(SourceInterface)) }).type,
    required: true,
  },
  stateStore: { type: defineOptions({ ...slotFields, interface: noInterface }).type, required: true },
  deadLetterQueue: defineOptions({ ...slotFields, interface: noInterface }).type,
});

/** The whole consumer configuration (the seed's YAML). */
export const consumerConfigOptions = defineOptions({
  name: { type: option.string(), required: true },
  description: option.string({ nonEmpty: false }),
  slots: { type: slotsOptions.type, required: true },
  behavior: { type: behaviorOptions.type, required: true },
});

/**
 * Checks a whole consumer configuration and returns it in TypeScript naming (durations in milliseconds),
 * or throws one `ConfigError` listing every problem by path
 * (`behavior.max_retries: expected an integer from 0 to 100, got "three"`). Driver settings under
 * `slots.*.config` are passed through for the driver factory to check.
 */
export function validateConfig(raw: unknown, style: KeyStyle = "camel", source?: string): ConsumerConfig {
  const issues: ConfigIssue[] = [];
  const config = consumerConfigOptions.collect(raw, { style, path: "" }, issues);
  if (config) issues.push(...crossFieldIssues(config.behavior as BehaviorConfig, "behavior", style));
  if (issues.length > 0 || !config) throw new ConfigError(issues, source);
  return config as ConsumerConfig;
}

/** Checks a behavior section alone (for consumers built by hand with `bindSlots`). */
export function validateBehavior(raw: unknown, path = "behavior"): BehaviorConfig {
  const behavior = behaviorOptions.read(raw, { style: "camel", path }) as BehaviorConfig;
  const issues = crossFieldIssues(behavior, path, "camel");
  if (issues.length > 0) throw new ConfigError(issues);
  return behavior;
}

/** Settings that only make sense together. */
function crossFieldIssues(behavior: BehaviorConfig, path: string, style: KeyStyle): ConfigIssue[] {
  if (behavior.onExhausted === ExhaustedAction.RetryTopic && behavior.retryTopic === undefined) {
    const [retryTopic, onExhausted] =
      style === "snake" ? ["retry_topic", "on_exhausted"] : ["retryTopic", "onExhausted"];
    return [
      {
        path: `${path}.${retryTopic}`,
        message: `required with ${onExhausted}: "retry-topic" (at least its delay)`,
      },
    ];
  }
  return [];
}

/**
 * A JSON Schema (draft 2020-12) of the consumer YAML, for editors: the file `consumer.schema.json` in this
 * package is this, written at build time. Driver settings (`slots.*.config`) are any mapping here; each
 * driver checks its own.
 */
export function consumerConfigJsonSchema(): Readonly<Record<string, unknown>> {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://unpkg.com/@prism/consumer-core/consumer.schema.json",
    title: "Prism consumer configuration",
    ...consumerConfigOptions.jsonSchema("snake"),
  };
}
