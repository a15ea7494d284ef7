import {
  ConfigError,
  type ConfigIssue,
  type Duration,
  defineOptions,
  type Logger,
  type OptionsOf,
  type OptionType,
  option,
  redactUrl,
  show,
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

const address: OptionType<string> = {
  read: (v) =>
    typeof v === "string" && parseAddress(v)
      ? { value: v }
      : { problem: `expected "host:port", got ${show(v)}` },
  jsonSchema: () => ({ type: "string" }),
};
const url: OptionType<string> = {
  secret: true,
  read: (v) => {
    if (typeof v !== "string") return { problem: `expected a redis:// or rediss:// URL, got ${show(v)}` };
    const protocol = URL.canParse(v) ? new URL(v).protocol : "";
    return protocol === "redis:" || protocol === "rediss:"
      ? { value: v }
      : { problem: `expected a redis:// or rediss:// URL, got ${JSON.stringify(redactUrl(v))}` };
  },
  jsonSchema: () => ({ type: "string", pattern: "^rediss?://" }),
};
const isClient = (v: unknown): v is Redis =>
  typeof v === "object" && v !== null && typeof (v as Redis).duplicate === "function";
const isLogger = (v: unknown): v is Logger =>
  typeof v === "object" && v !== null && typeof (v as Logger).warn === "function";

/** Settings that say where and how to connect, so they cannot be combined with `client`. */
const connectionKeys = ["url", "address", "username", "password", "db", "tls", "connectTimeout"] as const;

/** The driver's options, declared once for YAML (snake_case) and code (camelCase). */
export const redisOptions = defineOptions({
  url,
  address,
  username: option.string({ nonEmpty: false }),
  password: option.string({ nonEmpty: false, secret: true }),
  db: option.integer({ min: 0 }),
  tls: option.boolean(),
  connectTimeout: { type: option.duration({ positive: true }), default: 5000 },
  client: { type: option.instance(isClient, "an ioredis client"), codeOnly: true },
  poolSize: { type: option.integer({ min: 1 }), default: 10 },
  keyPrefix: { type: option.string({ nonEmpty: false }), default: "" },
  claimIdle: { type: option.duration({ positive: true }), default: 10_000 },
  block: { type: option.duration({ positive: true }), default: 1000 },
  batchSize: { type: option.integer({ min: 1 }), default: 32 },
  maxLen: { type: option.integer({ min: 0 }), default: 0 },
  logger: { type: option.instance(isLogger, "a Logger"), codeOnly: true },
});

/**
 * Checks a slot's YAML `config:` mapping (snake_case keys) and returns it as `RedisDriverOptions`, or
 * throws one `ConfigError` listing every problem by path (`slots.state_store.config.db: …`).
 */
export function parseRedisConfig(
  config: Readonly<Record<string, unknown>>,
  path: string,
): RedisDriverOptions {
  return checked(redisOptions.read(config, { style: "snake", path, defaults: false }), path);
}

/** Checks `RedisDriver.connect` options and applies the defaults; throws `ConfigError` naming `options.*`. */
export function resolveRedisSettings(options: RedisDriverOptions): RedisSettings {
  const resolved = checked(redisOptions.read(options, { style: "camel", path: "options" }), "options");
  const { client } = resolved;
  return {
    connection: client ? { client } : connectionOptions(resolved),
    connectTimeoutMs: resolved.connectTimeout,
    poolSize: resolved.poolSize,
    keyPrefix: resolved.keyPrefix,
    claimIdleMs: resolved.claimIdle,
    blockMs: resolved.block,
    batchSize: resolved.batchSize,
    maxLen: resolved.maxLen,
  };
}

/** What one field cannot say: url and address exclude each other, and a client excludes connection settings. */
function checked<T extends OptionsOf<typeof redisOptions>>(options: T, path: string): T {
  const issues: ConfigIssue[] = [];
  if (options.url !== undefined && options.address !== undefined) {
    issues.push({ path: `${path}.url`, message: "give either url or address, not both" });
  }
  if (options.client !== undefined) {
    for (const key of connectionKeys) {
      if (key !== "connectTimeout" && options[key] !== undefined) {
        issues.push({
          path: `${path}.${key}`,
          message: "not used with options.client; set it on the client",
        });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return options;
}

function connectionOptions(options: OptionsOf<typeof redisOptions>): RedisSettings["connection"] {
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

/** `host:port`, `host` or `[v6]:port`; undefined when it is none of these. */
function parseAddress(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:\s[\]]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (!match) return undefined;
  const port = match[3] === undefined ? 6379 : Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: (match[1] ?? match[2]) as string, port };
}
