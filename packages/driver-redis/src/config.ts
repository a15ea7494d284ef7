import {
  ConfigError,
  type ConfigIssue,
  type Duration,
  type Logger,
  parseDuration,
  redactUrl,
  timerLimitProblem,
} from "@prism/consumer-core/driver";
import type { Redis, RedisOptions } from "ioredis";

/** Options of `RedisDriver.connect`; the YAML keys are the snake_case names of the same settings. */
export interface RedisDriverOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). Not together with `address`. */
  readonly url?: string;
  /** `"host:port"` (port defaults to 6379). Default `"127.0.0.1:6379"` when neither this nor `url` is set. */
  readonly address?: string;
  /** ACL user name (Redis 6+). Overrides the one in `url`. */
  readonly username?: string;
  /** Overrides the one in `url`. Never logged or put in error messages. */
  readonly password?: string;
  /** Database index. Default 0 (or the one in `url`). */
  readonly db?: number;
  /** Connect with TLS (implied by `rediss://`). */
  readonly tls?: boolean;
  /** How long the first connect may take before `connect` fails. Default 5 s. */
  readonly connectTimeout?: Duration;
  /**
   * An existing ioredis client to use instead of connecting (no connection settings then). The driver
   * does not close it; it still opens its own connections for blocking reads (`client.duplicate()`).
   */
  readonly client?: Redis;
  /** How many receives may be active at once: each holds its own blocking connection. Default 10. */
  readonly poolSize?: number;
  /** Prepended to every key and stream name. Default `""`. */
  readonly keyPrefix?: string;
  /**
   * A member Redis has not heard from for this long counts as departed: its pending messages are taken
   * over by the others (and it is removed from the group). Default 10 s.
   */
  readonly claimIdle?: Duration;
  /** How long one XREADGROUP waits for new messages. Default 1 s. */
  readonly block?: Duration;
  /** Messages read per XREADGROUP / XAUTOCLAIM. Default 32. */
  readonly batchSize?: number;
  /** Approximate cap on a stream's length applied on every XADD; 0 never trims. Default 0. */
  readonly maxLen?: number;
  /** Where connection trouble is reported. Default `consoleLogger`. */
  readonly logger?: Logger;
}

/** Options after checking, with defaults applied and durations in milliseconds. */
export interface RedisSettings {
  readonly connection:
    | { readonly client: Redis }
    | { readonly url: string | undefined; readonly options: RedisOptions; readonly where: string };
  readonly connectTimeoutMs: number;
  readonly poolSize: number;
  readonly keyPrefix: string;
  readonly claimIdleMs: number;
  readonly blockMs: number;
  readonly batchSize: number;
  readonly maxLen: number;
}

type Style = "snake" | "camel";
type Check = (value: unknown, style: Style) => string | undefined;

const text: Check = (v) => (typeof v === "string" ? undefined : `expected a string, got ${show(v)}`);
const secret: Check = (v) =>
  typeof v === "string" ? undefined : `expected a string, got a ${v === null ? "null" : typeof v}`;
const flag: Check = (v) => (typeof v === "boolean" ? undefined : `expected true or false, got ${show(v)}`);
const integerAtLeast =
  (min: number): Check =>
  (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= min
      ? undefined
      : `expected an integer >= ${min}, got ${show(v)}`;
const positiveDuration: Check = (v, style) => {
  // As in core: a bare number in YAML is ambiguous (Go reads nanoseconds), so a unit is required there.
  const ms = style === "snake" && typeof v === "number" ? undefined : parseDuration(v);
  return ms !== undefined && ms >= 1
    ? timerLimitProblem(ms, show(v))
    : `expected a duration of at least 1ms like "30s", got ${show(v)}`;
};
const address: Check = (v) =>
  typeof v === "string" && parseAddress(v) ? undefined : `expected "host:port", got ${show(v)}`;
const url: Check = (v) => {
  if (typeof v !== "string") return `expected a redis:// or rediss:// URL, got ${show(v)}`;
  const protocol = URL.canParse(v) ? new URL(v).protocol : "";
  return protocol === "redis:" || protocol === "rediss:"
    ? undefined
    : `expected a redis:// or rediss:// URL, got ${JSON.stringify(redactUrl(v))}`;
};

interface Field {
  readonly camel: string;
  readonly snake: string;
  readonly check: Check;
  /** Says where and how to connect, so it cannot be combined with `client`. */
  readonly connection?: boolean;
}

const fields: readonly Field[] = [
  { camel: "url", snake: "url", check: url, connection: true },
  { camel: "address", snake: "address", check: address, connection: true },
  { camel: "username", snake: "username", check: text, connection: true },
  { camel: "password", snake: "password", check: secret, connection: true },
  { camel: "db", snake: "db", check: integerAtLeast(0), connection: true },
  { camel: "tls", snake: "tls", check: flag, connection: true },
  { camel: "connectTimeout", snake: "connect_timeout", check: positiveDuration, connection: true },
  { camel: "poolSize", snake: "pool_size", check: integerAtLeast(1) },
  { camel: "keyPrefix", snake: "key_prefix", check: text },
  { camel: "claimIdle", snake: "claim_idle", check: positiveDuration },
  { camel: "block", snake: "block", check: positiveDuration },
  { camel: "batchSize", snake: "batch_size", check: integerAtLeast(1) },
  { camel: "maxLen", snake: "max_len", check: integerAtLeast(0) },
];

/**
 * Checks a slot's YAML `config:` mapping (snake_case keys) and returns it as `RedisDriverOptions`, or
 * throws one `ConfigError` listing every problem by path (`slots.state_store.config.db: …`).
 */
export function parseRedisConfig(
  config: Readonly<Record<string, unknown>>,
  path: string,
): RedisDriverOptions {
  const issues = checkFields(config, "snake", path);
  if (issues.length > 0) throw new ConfigError(issues);
  const options: Record<string, unknown> = {};
  for (const field of fields) {
    const value = config[field.snake];
    if (value !== undefined) options[field.camel] = value;
  }
  return options as RedisDriverOptions;
}

/** Checks `RedisDriver.connect` options and applies the defaults; throws `ConfigError` naming `options.*`. */
export function resolveRedisSettings(options: RedisDriverOptions): RedisSettings {
  const { client, logger: _logger, ...rest } = options;
  const record = rest as Record<string, unknown>;
  const issues = checkFields(record, "camel", "options");
  if (client !== undefined) {
    if (typeof client !== "object" || client === null || typeof client.duplicate !== "function") {
      issues.push({ path: "options.client", message: "expected an ioredis client" });
    }
    for (const field of fields) {
      if (field.connection && record[field.camel] !== undefined) {
        issues.push({
          path: `options.${field.camel}`,
          message: "not used with options.client; set it on the client",
        });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const ms = (value: Duration | undefined, fallback: number) =>
    Math.round(parseDuration(value ?? fallback) ?? fallback);
  return {
    connection: client ? { client } : connectionOptions(options),
    connectTimeoutMs: ms(options.connectTimeout, 5000),
    poolSize: options.poolSize ?? 10,
    keyPrefix: options.keyPrefix ?? "",
    claimIdleMs: ms(options.claimIdle, 10_000),
    blockMs: ms(options.block, 1000),
    batchSize: options.batchSize ?? 32,
    maxLen: options.maxLen ?? 0,
  };
}

function connectionOptions(options: RedisDriverOptions): RedisSettings["connection"] {
  // Explicit keys override what the URL says; ioredis parses the URL (user, password, db, rediss → TLS).
  const explicit: RedisOptions = {};
  if (options.username !== undefined) explicit.username = options.username;
  if (options.password !== undefined) explicit.password = options.password;
  if (options.db !== undefined) explicit.db = options.db;
  if (options.tls) explicit.tls = {};
  if (options.url !== undefined)
    return { url: options.url, options: explicit, where: redactUrl(options.url) };
  const { host, port } = parseAddress(options.address ?? "127.0.0.1:6379") as { host: string; port: number };
  return { url: undefined, options: { host, port, ...explicit }, where: `${host}:${port}` };
}

function checkFields(record: Readonly<Record<string, unknown>>, style: Style, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const known = fields.map((f) => f[style]);
  for (const [key, value] of Object.entries(record)) {
    const field = fields.find((f) => f[style] === key);
    if (!field) {
      issues.push({ path: `${path}.${key}`, message: `unknown key; expected one of ${known.join(", ")}` });
      continue;
    }
    if (value === undefined) continue;
    const problem = field.check(value, style);
    if (problem) issues.push({ path: `${path}.${key}`, message: problem });
  }
  if (record.url !== undefined && record.address !== undefined) {
    issues.push({ path: `${path}.url`, message: "give either url or address, not both" });
  }
  return issues;
}

/** `host:port`, `host` or `[v6]:port`; undefined when it is none of these. */
function parseAddress(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:\s[\]]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (!match) return undefined;
  const port = match[3] === undefined ? 6379 : Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: (match[1] ?? match[2]) as string, port };
}

/** A value as shown in an error message: strings quoted, long ones cut. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a mapping";
  return String(value);
}
