import type { BehaviorConfig, ConsumerConfig, SlotBinding, SlotsConfig } from "./config.js";
import { ExhaustedAction, Ordering, SourceInterface } from "./config.js";
import { parseDuration, timerLimitProblem } from "./duration.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { PayloadFormat } from "./payload.js";

/** YAML files use snake_case keys (as in the seed); TypeScript objects use camelCase. */
export type KeyStyle = "snake" | "camel";

type Check = (value: unknown) => string | undefined;

const nonEmptyString: Check = (v) =>
  typeof v === "string" && v.trim() !== "" ? undefined : `expected a non-empty string, got ${show(v)}`;
const integerAtLeast =
  (min: number): Check =>
  (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= min
      ? undefined
      : `expected an integer >= ${min}, got ${show(v)}`;
const integerBetween =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= min && v <= max
      ? undefined
      : `expected an integer from ${min} to ${max}, got ${show(v)}`;
const numberBetween =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === "number" && v >= min && v <= max
      ? undefined
      : `expected a number from ${min} to ${max}, got ${show(v)}`;
const boolean: Check = (v) => (typeof v === "boolean" ? undefined : `expected true or false, got ${show(v)}`);
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === "string" && values.includes(v)
      ? undefined
      : `expected one of ${values.map((x) => `"${x}"`).join(", ")}, got ${show(v)}`;
const duration =
  (style: KeyStyle): Check =>
  (v) => {
    // In YAML a bare number is ambiguous (Go reads nanoseconds), so text with a unit is required there.
    if (style === "snake" && typeof v === "number" && v !== 0) {
      return `expected a duration with a unit like "5s" or "250ms", got ${show(v)}`;
    }
    const ms = parseDuration(v);
    if (ms === undefined) return `expected a duration like "5s", "250ms" or "1m30s", got ${show(v)}`;
    return timerLimitProblem(ms, show(v));
  };

const positiveDuration =
  (style: KeyStyle): Check =>
  (v) => {
    const problem = duration(style)(v);
    if (problem) return problem;
    return (parseDuration(v) as number) > 0 ? undefined : `expected a duration above zero, got ${show(v)}`;
  };

/**
 * Retries per message at most. With the default backoff (capped at 30 s) 100 retries hold a message —
 * and, in order, everything behind it on its partition — for about 50 minutes; a larger number would
 * let one poison message block a partition for days with nothing reported.
 */
export const maxRetriesLimit = 100;

interface Field {
  camel: string;
  snake: string;
  check: Check;
  required?: boolean;
  nested?: readonly Field[];
}

function behaviorFields(style: KeyStyle): readonly Field[] {
  return [
    { camel: "consumerGroup", snake: "consumer_group", check: nonEmptyString, required: true },
    { camel: "topic", snake: "topic", check: nonEmptyString, required: true },
    { camel: "maxRetries", snake: "max_retries", check: integerBetween(0, maxRetriesLimit) },
    {
      camel: "retryBackoff",
      snake: "retry_backoff",
      check: mapping,
      nested: [
        { camel: "initial", snake: "initial", check: duration(style) },
        { camel: "max", snake: "max", check: duration(style) },
        { camel: "multiplier", snake: "multiplier", check: numberBetween(1, 100) },
        { camel: "jitter", snake: "jitter", check: numberBetween(0, 1) },
      ],
    },
    { camel: "batchSize", snake: "batch_size", check: integerAtLeast(0) },
    { camel: "batchMaxWait", snake: "batch_max_wait", check: duration(style) },
    { camel: "concurrency", snake: "concurrency", check: integerAtLeast(1) },
    { camel: "ordering", snake: "ordering", check: oneOf(Object.values(Ordering)) },
    { camel: "autoCommit", snake: "auto_commit", check: boolean },
    { camel: "commitInterval", snake: "commit_interval", check: duration(style) },
    { camel: "onExhausted", snake: "on_exhausted", check: oneOf(Object.values(ExhaustedAction)) },
    {
      camel: "retryTopic",
      snake: "retry_topic",
      check: mapping,
      nested: [
        { camel: "topic", snake: "topic", check: nonEmptyString },
        { camel: "delay", snake: "delay", check: positiveDuration(style), required: true },
        { camel: "maxRounds", snake: "max_rounds", check: integerBetween(1, maxRetriesLimit) },
      ],
    },
    { camel: "deadLetterTopic", snake: "dead_letter_topic", check: nonEmptyString },
    { camel: "shutdownTimeout", snake: "shutdown_timeout", check: duration(style) },
    { camel: "processingTimeout", snake: "processing_timeout", check: duration(style) },
    {
      camel: "filter",
      snake: "filter",
      check: mapping,
      nested: [
        { camel: "topic", snake: "topic", check: nonEmptyString },
        { camel: "metadata", snake: "metadata", check: metadataMatch },
      ],
    },
    {
      camel: "deduplicate",
      snake: "deduplicate",
      check: mapping,
      nested: [
        { camel: "window", snake: "window", check: positiveDuration(style), required: true },
        { camel: "key", snake: "key", check: nonEmptyString },
      ],
    },
    { camel: "payloadFormat", snake: "payload_format", check: oneOf(Object.values(PayloadFormat)) },
  ];
}

/** `{ key: "value" }` or `{ key: ["one", "other"] }`: each key must carry one of its values. */
const metadataMatch: Check = (v) => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return `expected a mapping, got ${show(v)}`;
  for (const [key, allowed] of Object.entries(v)) {
    const values = Array.isArray(allowed) ? allowed : [allowed];
    if (values.length === 0 || !values.every((x) => typeof x === "string")) {
      return `${key}: expected a string or a list of strings, got ${show(allowed)}`;
    }
  }
  return undefined;
};

const slotFields: readonly Field[] = [
  { camel: "driver", snake: "driver", check: nonEmptyString, required: true },
  { camel: "config", snake: "config", check: mapping },
  { camel: "interface", snake: "interface", check: oneOf(Object.values(SourceInterface)) },
  { camel: "package", snake: "package", check: nonEmptyString },
];

const slotNames = [
  { camel: "messageSource", snake: "message_source", required: true },
  { camel: "stateStore", snake: "state_store", required: true },
  { camel: "deadLetterQueue", snake: "dead_letter_queue", required: false },
] as const;

/**
 * Checks a whole consumer configuration and returns it in TypeScript naming, or throws one
 * `ConfigError` listing every problem by path (`behavior.max_retries: expected an integer from 0 to 100, got "three"`).
 * Driver settings under `slots.*.config` are passed through for the driver factory to check.
 */
export function validateConfig(raw: unknown, style: KeyStyle = "camel", source?: string): ConsumerConfig {
  const issues: ConfigIssue[] = [];
  const root = expectMapping(raw, "", issues);
  if (!root) throw new ConfigError(issues, source);
  const key = (f: { camel: string; snake: string }) => (style === "snake" ? f.snake : f.camel);

  rejectUnknown(root, "", ["name", "description", "slots", "behavior"], issues);
  const name = root.name;
  if (name === undefined) issues.push({ path: "name", message: "required" });
  else if (nonEmptyString(name)) issues.push({ path: "name", message: nonEmptyString(name) as string });
  if (root.description !== undefined && typeof root.description !== "string") {
    issues.push({ path: "description", message: `expected a string, got ${show(root.description)}` });
  }

  const slots: Record<string, SlotBinding> = {};
  const rawSlots = root.slots === undefined ? undefined : expectMapping(root.slots, "slots", issues);
  if (root.slots === undefined) issues.push({ path: "slots", message: "required" });
  if (rawSlots) {
    rejectUnknown(rawSlots, "slots", slotNames.map(key), issues);
    for (const slot of slotNames) {
      const path = `slots.${key(slot)}`;
      const value = rawSlots[key(slot)];
      if (value === undefined) {
        if (slot.required) issues.push({ path, message: "required" });
        continue;
      }
      const binding = checkFields(value, path, slotFields, style, issues);
      if (binding && slot.camel !== "messageSource" && binding.interface !== undefined) {
        issues.push({
          path: `${path}.${key(slotFields[2] as Field)}`,
          message: "only the message source has one",
        });
      }
      if (binding) slots[slot.camel] = binding as unknown as SlotBinding;
    }
  }

  if (root.behavior === undefined) issues.push({ path: "behavior", message: "required" });
  const behavior =
    root.behavior === undefined
      ? undefined
      : checkFields(root.behavior, "behavior", behaviorFields(style), style, issues);

  if (behavior) issues.push(...crossFieldIssues(behavior, "behavior", style));
  if (issues.length > 0) throw new ConfigError(issues, source);
  const config: ConsumerConfig = {
    name: name as string,
    slots: slots as unknown as SlotsConfig,
    behavior: behavior as unknown as BehaviorConfig,
  };
  if (typeof root.description === "string") config.description = root.description;
  return config;
}

/** Checks a behavior section alone (for consumers built by hand with `bindSlots`). */
export function validateBehavior(raw: unknown, path = "behavior"): BehaviorConfig {
  const issues: ConfigIssue[] = [];
  const behavior = checkFields(raw, path, behaviorFields("camel"), "camel", issues);
  if (behavior) issues.push(...crossFieldIssues(behavior, path, "camel"));
  if (issues.length > 0 || !behavior) throw new ConfigError(issues);
  return behavior as unknown as BehaviorConfig;
}

/** Settings that only make sense together. */
function crossFieldIssues(behavior: Record<string, unknown>, path: string, style: KeyStyle): ConfigIssue[] {
  const retryTopic = style === "snake" ? "retry_topic" : "retryTopic";
  const onExhausted = style === "snake" ? "on_exhausted" : "onExhausted";
  if (behavior.onExhausted === ExhaustedAction.RetryTopic && behavior.retryTopic === undefined) {
    return [
      {
        path: `${path}.${retryTopic}`,
        message: `required with ${onExhausted}: "retry-topic" (at least its delay)`,
      },
    ];
  }
  return [];
}

function checkFields(
  raw: unknown,
  path: string,
  fields: readonly Field[],
  style: KeyStyle,
  issues: ConfigIssue[],
): Record<string, unknown> | undefined {
  const record = expectMapping(raw, path, issues);
  if (!record) return undefined;
  const key = (f: Field) => (style === "snake" ? f.snake : f.camel);
  rejectUnknown(record, path, fields.map(key), issues);
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const fieldPath = `${path}.${key(field)}`;
    const value = record[key(field)];
    if (value === undefined || value === null) {
      if (field.required) issues.push({ path: fieldPath, message: "required" });
      continue;
    }
    const problem = field.check(value);
    if (problem) {
      issues.push({ path: fieldPath, message: problem });
      continue;
    }
    out[field.camel] = field.nested ? checkFields(value, fieldPath, field.nested, style, issues) : value;
  }
  return out;
}

function mapping(v: unknown): string | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? undefined
    : `expected a mapping, got ${show(v)}`;
}

function expectMapping(
  raw: unknown,
  path: string,
  issues: ConfigIssue[],
): Record<string, unknown> | undefined {
  const problem = mapping(raw);
  if (!problem) return raw as Record<string, unknown>;
  issues.push({ path: path || "(root)", message: problem });
  return undefined;
}

function rejectUnknown(
  record: Record<string, unknown>,
  path: string,
  known: readonly string[],
  issues: ConfigIssue[],
) {
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) {
      issues.push({
        path: path ? `${path}.${key}` : key,
        message: `unknown key; expected one of ${known.join(", ")}`,
      });
    }
  }
}

/** A value as shown in an error message: strings quoted, long ones cut. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a mapping";
  return String(value);
}
