import { formatDuration, parseDuration, timerLimitProblem } from "./duration.js";
import { ConfigError, type ConfigIssue } from "./errors.js";

/** YAML files use snake_case keys (as in the seed); TypeScript objects use camelCase. */
export type KeyStyle = "snake" | "camel";

/** A JSON Schema fragment (draft 2020-12), for editors. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * One option's type: how a value is checked and converted — the same in YAML and in code, except that
 * YAML (where `${VAR}` substitution yields text) also takes numbers and booleans written as text, and
 * durations there need a unit.
 */
export interface OptionType<T> {
  /** The value converted, or what is wrong with it (a phrase: "expected …, got …"). */
  read(value: unknown, style: KeyStyle): { readonly value: T } | { readonly problem: string };
  jsonSchema(style: KeyStyle): JsonSchema;
  /** Never echoed in messages (passwords, tokens, URLs with credentials). */
  readonly secret?: boolean;
  /** For a nested schema: read field by field, each problem reported by its own path. */
  readonly schema?: OptionsSchema<T>;
}

/** An option of a schema: its type, and what applies when it is absent. */
export interface OptionField<T> {
  readonly type: OptionType<T>;
  readonly required?: boolean;
  /** Used when the option is absent (so the resolved value is always set). */
  readonly default?: T;
  /** The YAML key when it is not the snake_case of the TypeScript one. */
  readonly snake?: string;
  /** Other keys that mean the same (e.g. the seed's `url` for `connection_string`); one of them at most. */
  readonly aliases?: readonly string[];
  /** For code only (a client instance, a logger): YAML cannot give it and rejects it as unknown. */
  readonly codeOnly?: boolean;
  /** Shown in the JSON Schema. */
  readonly description?: string;
}

type Field = OptionField<unknown> | OptionType<unknown>;
type FieldValue<F> = F extends OptionField<infer T> ? T : F extends OptionType<infer T> ? T : never;
type HasDefault<F> = F extends { readonly default: unknown }
  ? true
  : F extends { readonly required: true }
    ? true
    : false;

/** The resolved options of a schema: fields with a default or required are always set. */
export type Resolved<F extends Record<string, Field>> = {
  readonly [K in keyof F as HasDefault<F[K]> extends true ? K : never]-?: FieldValue<F[K]>;
} & {
  readonly [K in keyof F as HasDefault<F[K]> extends true ? never : K]?: FieldValue<F[K]>;
};

/** The resolved options a schema reads: `OptionsOf<typeof redisOptions>`. */
export type OptionsOf<S> = S extends OptionsSchema<infer Out> ? Out : never;

export interface ReadOptions {
  readonly style: KeyStyle;
  /** Where the mapping sits, for messages: `slots.state_store.config`, or `options` for a driver's `connect` options. */
  readonly path: string;
  /** Fill in the defaults (default true); false returns only what was given, checked and converted. */
  readonly defaults?: boolean;
}

/** A set of options declared once: read from YAML (snake_case) or code (camelCase), described as JSON Schema. */
export interface OptionsSchema<Out> {
  /** Checks and converts a mapping; throws one `ConfigError` listing every problem by path. */
  read(raw: unknown, options: ReadOptions): Out;
  /** Like `read`, adding the problems to `issues` instead of throwing (for a whole config at once). */
  collect(raw: unknown, options: ReadOptions, issues: ConfigIssue[]): Out | undefined;
  jsonSchema(style: KeyStyle): JsonSchema;
  /** As an option type, to nest this schema under another one's key. */
  readonly type: OptionType<Out>;
}

/** Declares a driver's (or core's) options once: one reader for YAML and code, the same wording everywhere. */
export function defineOptions<F extends Record<string, Field>>(fields: F): OptionsSchema<Resolved<F>> {
  const entries = Object.entries(fields).map(([camel, field]) => {
    const f: OptionField<unknown> = "read" in field ? { type: field } : field;
    return { camel, snake: f.snake ?? toSnake(camel), ...f };
  });
  const keyOf = (entry: (typeof entries)[number], style: KeyStyle) =>
    style === "snake" ? entry.snake : entry.camel;

  const collect = (raw: unknown, o: ReadOptions, issues: ConfigIssue[]): Resolved<F> | undefined => {
    const at = (key: string) => (o.path ? `${o.path}.${key}` : key);
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      issues.push({ path: o.path || "(root)", message: `expected a mapping, got ${show(raw)}` });
      return undefined;
    }
    const record = raw as Record<string, unknown>;
    const known = entries.filter((e) => o.style === "camel" || !e.codeOnly);
    const names = known.flatMap((e) => [keyOf(e, o.style), ...(e.aliases ?? [])]);
    for (const key of Object.keys(record)) {
      if (!names.includes(key))
        issues.push({ path: at(key), message: `unknown key; expected one of ${names.join(", ")}` });
    }
    const out: Record<string, unknown> = {};
    const before = issues.length;
    for (const entry of known) {
      const given = [keyOf(entry, o.style), ...(entry.aliases ?? [])].filter((k) => record[k] != null);
      if (given.length > 1) {
        issues.push({
          path: at(given[1] as string),
          message: `give ${given[0]} or its alias ${given[1]}, not both`,
        });
      }
      const key = given[0] ?? keyOf(entry, o.style);
      const value = record[key];
      if (value === undefined || value === null) {
        if (entry.required) issues.push({ path: at(key), message: "required" });
        else if (entry.default !== undefined && o.defaults !== false) out[entry.camel] = entry.default;
        continue;
      }
      const read = readNested(entry.type, value, o.style, at(key), issues);
      if ("problem" in read) issues.push({ path: at(key), message: read.problem });
      else if (read.value !== undefined) out[entry.camel] = read.value;
    }
    return issues.length > before ? undefined : (out as Resolved<F>);
  };

  const jsonSchema = (style: KeyStyle): JsonSchema => ({
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries(
      entries
        .filter((e) => style === "camel" || !e.codeOnly)
        .map((e) => [
          keyOf(e, style),
          { ...e.type.jsonSchema(style), ...(e.description ? { description: e.description } : {}) },
        ]),
    ),
    required: entries.filter((e) => e.required).map((e) => keyOf(e, style)),
  });

  const schema: OptionsSchema<Resolved<F>> = {
    collect,
    read(raw, o) {
      const issues: ConfigIssue[] = [];
      const out = collect(raw, o, issues);
      if (issues.length > 0 || out === undefined) throw new ConfigError(issues);
      return out;
    },
    jsonSchema,
    get type(): OptionType<Resolved<F>> {
      return {
        read: (value, style) => {
          const issues: ConfigIssue[] = [];
          const out = collect(value, { style, path: "" }, issues);
          return out === undefined
            ? { problem: issues.map((i) => `${i.path}: ${i.message}`).join("; ") }
            : { value: out };
        },
        jsonSchema,
        schema,
      };
    },
  };
  return schema;
}

function readNested(
  type: OptionType<unknown>,
  value: unknown,
  style: KeyStyle,
  path: string,
  issues: ConfigIssue[],
): { value: unknown } | { problem: string } {
  const nested = type.schema;
  if (!nested) return type.read(value, style);
  // Problems inside are reported by their own paths; `undefined` marks the field as failed.
  const before = issues.length;
  const out = nested.collect(value, { style, path }, issues);
  return issues.length > before ? { value: undefined } : { value: out };
}

/** The option types. In YAML, numbers and booleans may be text (what `${VAR}` gives); durations need a unit. */
export const option = {
  string(
    o: { nonEmpty?: boolean; secret?: boolean; pattern?: RegExp; hint?: string } = {},
  ): OptionType<string> {
    const expected = o.hint ?? (o.nonEmpty === false ? "a string" : "a non-empty string");
    return {
      secret: o.secret ?? false,
      read: (v) => {
        const ok =
          typeof v === "string" &&
          (o.nonEmpty === false || v.trim() !== "") &&
          (!o.pattern || o.pattern.test(v));
        if (ok) return { value: v };
        return { problem: `expected ${expected}, got ${o.secret ? describeSecret(v) : show(v)}` };
      },
      jsonSchema: () => ({ type: "string", ...(o.nonEmpty === false ? {} : { minLength: 1 }) }),
    };
  },

  /** `hint` replaces "an integer from …" in messages, for a range with a meaning (`-1 (forever) or …`). */
  integer(o: { min?: number; max?: number; hint?: string } = {}): OptionType<number> {
    const expected = o.hint ?? range("an integer", o.min, o.max);
    return {
      read: (v, style) => {
        const n = style === "snake" && typeof v === "string" && v.trim() !== "" ? Number(v) : v;
        if (typeof n === "number" && Number.isInteger(n) && inRange(n, o.min, o.max)) return { value: n };
        return { problem: `expected ${expected}, got ${show(v)}` };
      },
      jsonSchema: (style) => numberSchema("integer", o, style),
    };
  },

  number(o: { min?: number; max?: number } = {}): OptionType<number> {
    const expected = range("a number", o.min, o.max);
    return {
      read: (v, style) => {
        const n = style === "snake" && typeof v === "string" && v.trim() !== "" ? Number(v) : v;
        if (typeof n === "number" && Number.isFinite(n) && inRange(n, o.min, o.max)) return { value: n };
        return { problem: `expected ${expected}, got ${show(v)}` };
      },
      jsonSchema: (style) => numberSchema("number", o, style),
    };
  },

  boolean(): OptionType<boolean> {
    return {
      read: (v, style) => {
        if (typeof v === "boolean") return { value: v };
        if (style === "snake" && (v === "true" || v === "false")) return { value: v === "true" };
        return { problem: `expected true or false, got ${show(v)}` };
      },
      jsonSchema: (style) =>
        style === "snake"
          ? { anyOf: [{ type: "boolean" }, { enum: ["true", "false"] }] }
          : { type: "boolean" },
    };
  },

  /**
   * A duration, resolved to milliseconds: text like "250ms", "5s", "1m30s" (or, in code, a number of
   * milliseconds; in YAML a bare number other than 0 is ambiguous — Go reads nanoseconds — and refused).
   * At most what a timer can hold (about 24.8 days), or `max`; with `positive`, above zero.
   */
  duration(o: { positive?: boolean; max?: number } = {}): OptionType<number> {
    const min = o.positive ? 1 : 0;
    return {
      read: (v, style) => {
        if (style === "snake" && typeof v === "number" && v !== 0) {
          return { problem: `expected a duration with a unit like "5s" or "250ms", got ${show(v)}` };
        }
        const ms = parseDuration(v);
        if (ms === undefined) {
          return { problem: `expected a duration like "5s", "250ms" or "1m30s", got ${show(v)}` };
        }
        if (ms < min) return { problem: `expected a duration above zero, got ${show(v)}` };
        if (o.max !== undefined && ms > o.max) {
          return { problem: `expected a duration of at most ${formatDuration(o.max)}, got ${show(v)}` };
        }
        const tooLong = timerLimitProblem(ms, show(v));
        return tooLong ? { problem: tooLong } : { value: ms };
      },
      jsonSchema: (style) => ({
        ...(style === "snake" ? { anyOf: [{ type: "string", pattern: durationPattern }, { const: 0 }] } : {}),
        ...(style === "camel"
          ? {
              anyOf: [
                { type: "string", pattern: durationPattern },
                { type: "number", minimum: min },
              ],
            }
          : {}),
      }),
    };
  },

  oneOf<V extends string>(values: readonly V[]): OptionType<V> {
    return {
      read: (v) =>
        typeof v === "string" && (values as readonly string[]).includes(v)
          ? { value: v as V }
          : { problem: `expected one of ${values.map((x) => `"${x}"`).join(", ")}, got ${show(v)}` },
      jsonSchema: () => ({ enum: [...values] }),
    };
  },

  /** A list; with `commaSeparated`, also one string of comma-separated items (what `${VAR}` gives). */
  list<T>(
    item: OptionType<T>,
    o: { commaSeparated?: boolean; min?: number; hint?: string } = {},
  ): OptionType<T[]> {
    return {
      read: (v, style) => {
        const items = o.commaSeparated && typeof v === "string" ? v.split(",").map((x) => x.trim()) : v;
        if (!Array.isArray(items) || items.length < (o.min ?? 0)) {
          return { problem: `expected ${o.hint ?? "a list"}, got ${show(v)}` };
        }
        const out: T[] = [];
        for (const [index, element] of items.entries()) {
          const read = item.read(element, style);
          if ("problem" in read) return { problem: `item ${index + 1}: ${read.problem}` };
          out.push(read.value);
        }
        return { value: out };
      },
      jsonSchema: (style) => ({
        ...(o.commaSeparated
          ? { anyOf: [{ type: "array", items: item.jsonSchema(style) }, { type: "string" }] }
          : { type: "array", items: item.jsonSchema(style) }),
      }),
    };
  },

  /** A mapping of any keys to values of one type. */
  record<T>(value: OptionType<T>): OptionType<Record<string, T>> {
    return {
      read: (v, style) => {
        if (typeof v !== "object" || v === null || Array.isArray(v))
          return { problem: `expected a mapping, got ${show(v)}` };
        const out: Record<string, T> = {};
        for (const [key, element] of Object.entries(v)) {
          const read = value.read(element, style);
          if ("problem" in read) return { problem: `${key}: ${read.problem}` };
          out[key] = read.value;
        }
        return { value: out };
      },
      jsonSchema: (style) => ({ type: "object", additionalProperties: value.jsonSchema(style) }),
    };
  },

  /** Any mapping, passed through unchecked (e.g. a driver's settings, checked by the driver). */
  mapping(): OptionType<Readonly<Record<string, unknown>>> {
    return {
      read: (v) =>
        typeof v === "object" && v !== null && !Array.isArray(v)
          ? { value: v as Record<string, unknown> }
          : { problem: `expected a mapping, got ${show(v)}` },
      jsonSchema: () => ({ type: "object" }),
    };
  },

  /** Either of two types (the first that accepts the value). */
  either<A, B>(first: OptionType<A>, second: OptionType<B>, hint: string): OptionType<A | B> {
    return {
      read: (v, style) => {
        const a = first.read(v, style);
        if ("value" in a) return a;
        const b = second.read(v, style);
        return "value" in b ? b : { problem: `expected ${hint}, got ${show(v)}` };
      },
      jsonSchema: (style) => ({ anyOf: [first.jsonSchema(style), second.jsonSchema(style)] }),
    };
  },

  /** An object only code can pass (a client, a logger): checked with `is`. */
  instance<T>(is: (value: unknown) => value is T, expected: string): OptionType<T> {
    return {
      read: (v) => (is(v) ? { value: v } : { problem: `expected ${expected}, got ${show(v)}` }),
      jsonSchema: () => ({}),
    };
  },
};

const durationPattern = "^(\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h))+$";

function numberSchema(
  type: "integer" | "number",
  o: { min?: number; max?: number },
  style: KeyStyle,
): JsonSchema {
  const bounds = {
    ...(o.min !== undefined ? { minimum: o.min } : {}),
    ...(o.max !== undefined ? { maximum: o.max } : {}),
  };
  return style === "snake"
    ? {
        anyOf: [
          { type, ...bounds },
          { type: "string", pattern: "^-?\\d+(\\.\\d+)?$" },
        ],
      }
    : { type, ...bounds };
}

function inRange(n: number, min: number | undefined, max: number | undefined): boolean {
  return (min === undefined || n >= min) && (max === undefined || n <= max);
}

function range(what: string, min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}`;
  if (min !== undefined) return `${what} >= ${min}`;
  if (max !== undefined) return `${what} <= ${max}`;
  return what;
}

function toSnake(camel: string): string {
  return camel.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function describeSecret(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`;
}

/** A value as shown in an error message: strings quoted, long ones cut. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "function") return "a function";
  return String(value);
}
