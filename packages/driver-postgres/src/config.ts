import { ConfigError, type ConfigIssue, parseDuration, timerLimitProblem } from "@prism/consumer-core/driver";
import { identifierProblem } from "./internal/schema.js";
import type { PostgresDriverOptions } from "./options.js";

type Options = { -readonly [K in keyof PostgresDriverOptions]: PostgresDriverOptions[K] };

/** Reads one key into `options`, or returns what is wrong with its value (never echoing secrets). */
type KeyReader = (value: unknown, options: Options) => string | undefined;

const keys: Readonly<Record<string, KeyReader>> = {
  connection_string: connectionString,
  url: connectionString,
  host: text((options, v) => {
    options.host = v;
  }),
  port: (value, options) => {
    const port = integer(value);
    if (port === undefined || port < 1 || port > 65535) {
      return `expected an integer from 1 to 65535, got ${show(value)}`;
    }
    options.port = port;
    return undefined;
  },
  database: text((options, v) => {
    options.database = v;
  }),
  user: text((options, v) => {
    options.user = v;
  }),
  password: (value, options) => {
    if (typeof value !== "string") return "expected a string (the value is not shown)";
    options.password = value;
    return undefined;
  },
  ssl: (value, options) => {
    const flag = value === "true" ? true : value === "false" ? false : value;
    if (typeof flag !== "boolean") return `expected true or false, got ${show(value)}`;
    options.ssl = flag;
    return undefined;
  },
  schema: name((options, v) => {
    options.schema = v;
  }),
  kv_table: name((options, v) => {
    options.kvTable = v;
  }),
  queue_table: name((options, v) => {
    options.queueTable = v;
  }),
  pool_size: (value, options) => {
    const size = integer(value);
    if (size === undefined || size < 1) return `expected an integer >= 1, got ${show(value)}`;
    options.poolSize = size;
    return undefined;
  },
  visibility_timeout: duration((options, ms) => {
    options.visibilityTimeoutMs = ms;
  }),
  poll_interval: duration((options, ms) => {
    options.pollIntervalMs = ms;
  }),
  purge_interval: duration((options, ms) => {
    options.purgeIntervalMs = ms;
  }),
};

const serverKeys = ["host", "port", "database", "user", "password"];

/**
 * Reads a slot's `config` mapping (the seed's keys: `host`, `port`, `database`, `user`, `password`, or
 * `connection_string`/`url`; plus `ssl`, `schema`, `kv_table`, `queue_table`, `pool_size`,
 * `visibility_timeout`, `poll_interval`, `purge_interval`) into driver options. Throws one `ConfigError`
 * listing every problem by path under `path` (e.g. `slots.state_store.config.port`).
 */
export function parsePostgresConfig(
  config: Readonly<Record<string, unknown>>,
  path: string,
): PostgresDriverOptions {
  const issues: ConfigIssue[] = [];
  const options: Options = {};
  for (const [key, value] of Object.entries(config)) {
    const read = Object.hasOwn(keys, key) ? keys[key] : undefined;
    if (!read) {
      issues.push({
        path: `${path}.${key}`,
        message: `unknown key; expected one of ${Object.keys(keys).join(", ")}`,
      });
      continue;
    }
    if (value === undefined || value === null) continue;
    const problem = read(value, options);
    if (problem) issues.push({ path: `${path}.${key}`, message: problem });
  }
  if (config.connection_string != null && config.url != null) {
    issues.push({ path: `${path}.url`, message: "give connection_string or its alias url, not both" });
  }
  const urlKey =
    config.connection_string != null ? "connection_string" : config.url != null ? "url" : undefined;
  if (urlKey) {
    for (const key of serverKeys.filter((k) => config[k] != null)) {
      issues.push({
        path: `${path}.${key}`,
        message: `cannot be combined with ${urlKey}; put it in the URL`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return options;
}

function connectionString(value: unknown, options: Options): string | undefined {
  // The value is never shown: a connection string usually carries a password.
  const problem = "expected a postgres:// or postgresql:// URL (the value is not shown)";
  if (typeof value !== "string") return problem;
  try {
    if (!["postgres:", "postgresql:"].includes(new URL(value).protocol)) return problem;
  } catch {
    return problem;
  }
  options.connectionString = value;
  return undefined;
}

function text(assign: (options: Options, value: string) => void): KeyReader {
  return (value, options) => {
    if (typeof value !== "string" || value.trim() === "")
      return `expected a non-empty string, got ${show(value)}`;
    assign(options, value);
    return undefined;
  };
}

function name(assign: (options: Options, value: string) => void): KeyReader {
  return (value, options) => {
    if (typeof value !== "string") return `expected a name, got ${show(value)}`;
    const problem = identifierProblem(value);
    if (problem) return `${problem}, got ${show(value)}`;
    assign(options, value);
    return undefined;
  };
}

function duration(assign: (options: Options, ms: number) => void): KeyReader {
  return (value, options) => {
    // As in core: a bare number is ambiguous in YAML (Go reads nanoseconds), so a unit is required.
    const ms = typeof value === "string" ? parseDuration(value) : undefined;
    if (ms === undefined || ms <= 0)
      return `expected a duration above zero like "30s" or "500ms", got ${show(value)}`;
    const tooLong = timerLimitProblem(ms, show(value));
    if (tooLong) return tooLong;
    assign(options, ms);
    return undefined;
  };
}

/** An integer, also from text: `${PGPORT}` substitutions in a slot's config arrive as strings. */
function integer(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a mapping";
  return String(value);
}
