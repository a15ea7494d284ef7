import type { ConnectionOptions } from "node:tls";
import {
  ConfigError,
  type ConfigIssue,
  consoleLogger,
  type Duration,
  defineOptions,
  type Logger,
  type OptionsOf,
  type OptionType,
  option,
  show,
} from "@prism/consumer-core/driver";
import type { Pool, PoolConfig } from "pg";
import { identifierProblem, type SchemaNames, schemaNames } from "./internal/schema.js";

/** Options of `PostgresDriver.connect`; every one is optional. YAML uses the snake_case names. */
export interface PostgresDriverOptions {
  /**
   * `postgres://user:password@host:5432/database?sslmode=require`; instead of the five settings below.
   * In YAML `connection_string`, or the seed's `url`.
   */
  readonly connectionString?: string;
  /** Default: `PGHOST` or `localhost` (node-postgres reads the libpq environment variables). */
  readonly host?: string;
  /** Default: `PGPORT` or 5432. */
  readonly port?: number;
  /** Default: `PGDATABASE` or the user name. */
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
  /** `true`: TLS with certificate verification; or (in code) Node's TLS options. Default: no TLS. */
  readonly ssl?: boolean | ConnectionOptions;
  /** Connections in the driver's pool. Default 10. Receivers waiting for messages use one more, shared. */
  readonly poolSize?: number;
  /**
   * An existing pool to use instead of the connection settings above (code only). The driver does not
   * end it on `close()`; its LISTEN connection is a separate client made from `pool.options`.
   */
  readonly pool?: Pool;
  /** Schema of the driver's tables, created when missing. Default "public". */
  readonly schema?: string;
  /** Key/value table, created when missing. Default "prism_kv". */
  readonly kvTable?: string;
  /** Queue table, created when missing. Default "prism_queue". */
  readonly queueTable?: string;
  /**
   * Transactional mode's record of processed positions, created when a consumer first opens a
   * transaction. Default "prism_processed".
   */
  readonly processedTable?: string;
  /**
   * How long a claimed message stays invisible to other receivers. The receive that holds it renews
   * this while it runs, so only a dead (or stopped) receiver's messages come back, after at most this
   * long. Default "10s".
   */
  readonly visibilityTimeout?: Duration;
  /** Longest a waiting receiver sleeps between checks when no NOTIFY arrives. Default "1s". */
  readonly pollInterval?: Duration;
  /** How often expired keys are deleted (reads ignore them anyway). Default "60s". */
  readonly purgeInterval?: Duration;
  /** Where pool and LISTEN connection problems are reported (code only). Default `consoleLogger`. */
  readonly logger?: Logger;
}

const connectionString: OptionType<string> = {
  secret: true,
  read: (v) => {
    // The value is never shown: a connection string usually carries a password.
    const problem = { problem: "expected a postgres:// or postgresql:// URL (the value is not shown)" };
    if (typeof v !== "string" || !URL.canParse(v)) return problem;
    return ["postgres:", "postgresql:"].includes(new URL(v).protocol) ? { value: v } : problem;
  },
  jsonSchema: () => ({ type: "string", pattern: "^postgres(ql)?://" }),
};

/** A schema or table name PostgreSQL accepts (it is quoted, so any that fits). */
const identifier: OptionType<string> = {
  read: (v) => {
    if (typeof v !== "string") return { problem: `expected a name, got ${show(v)}` };
    const problem = identifierProblem(v);
    return problem ? { problem: `${problem}, got ${show(v)}` } : { value: v };
  },
  jsonSchema: () => ({ type: "string", minLength: 1, maxLength: 63 }),
};

const isPool = (v: unknown): v is Pool =>
  typeof v === "object" && v !== null && typeof (v as Pool).connect === "function";
const isTlsOptions = (v: unknown): v is ConnectionOptions =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isLogger = (v: unknown): v is Logger =>
  typeof v === "object" && v !== null && typeof (v as Logger).warn === "function";

/** The driver's options, declared once for YAML (snake_case) and code (camelCase). */
export const postgresOptions = defineOptions({
  connectionString: { type: connectionString, aliases: ["url"] },
  host: option.string(),
  port: option.integer({ min: 1, max: 65_535 }),
  database: option.string(),
  user: option.string(),
  password: option.string({ nonEmpty: false, secret: true }),
  ssl: option.either<boolean, ConnectionOptions>(
    option.boolean(),
    option.instance(isTlsOptions, "TLS options"),
    "true, false or TLS options",
  ),
  poolSize: { type: option.integer({ min: 1 }), default: 10 },
  pool: { type: option.instance(isPool, "a pg Pool"), codeOnly: true },
  schema: { type: identifier, default: "public" },
  kvTable: { type: identifier, default: "prism_kv" },
  queueTable: { type: identifier, default: "prism_queue" },
  processedTable: { type: identifier, default: "prism_processed" },
  visibilityTimeout: { type: option.duration({ positive: true }), default: 10_000 },
  pollInterval: { type: option.duration({ positive: true }), default: 1000 },
  purgeInterval: { type: option.duration({ positive: true }), default: 60_000 },
  logger: { type: option.instance(isLogger, "a Logger"), codeOnly: true },
});

type Options = OptionsOf<typeof postgresOptions>;

export interface ResolvedOptions {
  /** Set when the driver creates (and owns) the pool. */
  readonly poolConfig: PoolConfig | undefined;
  readonly pool: Pool | undefined;
  readonly names: SchemaNames;
  readonly visibilityTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly purgeIntervalMs: number;
  readonly logger: Logger;
  /** Where the server is, for error messages: `host:port/database`, never credentials. */
  readonly target: string;
}

/** A connection that does not answer within this long counts as unreachable (fail fast, not hang). */
export const connectTimeoutMs = 10_000;

const serverKeys = ["host", "port", "database", "user", "password"] as const;

/**
 * Reads a slot's `config` mapping (the seed's keys: `host`, `port`, `database`, `user`, `password`, or
 * `connection_string`/`url`; plus `ssl`, `schema`, `kv_table`, `queue_table`, `processed_table`,
 * `pool_size`, `visibility_timeout`, `poll_interval`, `purge_interval`) into driver options. Throws one `ConfigError`
 * listing every problem by path under `path` (e.g. `slots.state_store.config.port`).
 */
export function parsePostgresConfig(
  config: Readonly<Record<string, unknown>>,
  path: string,
): PostgresDriverOptions {
  return readChecked(config, "snake", path, {
    pool: "pool",
    url: config.connection_string != null ? "connection_string" : "url",
  });
}

/** Checks the options and fills in defaults; throws one `ConfigError` naming every bad option. */
export function resolveOptions(options: PostgresDriverOptions): ResolvedOptions {
  const o = readChecked(options as Readonly<Record<string, unknown>>, "camel", "options", {
    pool: "pool",
    url: "connectionString",
  }) as Options;
  const poolConfig = o.pool ? undefined : toPoolConfig(o);
  return {
    poolConfig,
    pool: o.pool,
    names: schemaNames(o.schema, o.kvTable, o.queueTable, o.processedTable),
    visibilityTimeoutMs: o.visibilityTimeout,
    pollIntervalMs: o.pollInterval,
    purgeIntervalMs: o.purgeInterval,
    logger: o.logger ?? consoleLogger,
    target: describeTarget(o.pool?.options ?? poolConfig ?? {}),
  };
}

/**
 * Reads the options, adding what one option alone cannot say (a pool excludes connection settings; a
 * URL excludes the server keys), so every problem is reported at once.
 */
function readChecked(
  raw: Readonly<Record<string, unknown>>,
  style: "snake" | "camel",
  path: string,
  keys: { readonly pool: string; readonly url: string },
): PostgresDriverOptions {
  const issues: ConfigIssue[] = [];
  const options = postgresOptions.collect(raw, { style, path, defaults: style === "camel" }, issues);
  const given = (key: string) => raw[key] != null;
  const hasUrl = given("connectionString") || given("connection_string") || given("url");
  const servers = serverKeys.filter(given);
  if (style === "camel" && given("pool") && (hasUrl || servers.length > 0 || given("ssl"))) {
    issues.push({
      path: `${path}.${keys.pool}`,
      message: "pass either pool or connection settings, not both",
    });
  }
  if (hasUrl) {
    for (const key of servers) {
      issues.push({
        path: `${path}.${key}`,
        message: `cannot be combined with ${keys.url}; put it in the URL`,
      });
    }
  }
  if (issues.length > 0 || options === undefined) throw new ConfigError(issues);
  return options;
}

function toPoolConfig(options: Options): PoolConfig {
  const config: PoolConfig = {
    max: options.poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: "prism-consumer",
  };
  if (options.connectionString !== undefined) config.connectionString = options.connectionString;
  if (options.host !== undefined) config.host = options.host;
  if (options.port !== undefined) config.port = options.port;
  if (options.database !== undefined) config.database = options.database;
  if (options.user !== undefined) config.user = options.user;
  if (options.password !== undefined) {
    // Not enumerable (as node-postgres does it), so logging or inspecting the settings never shows it.
    Object.defineProperty(config, "password", { value: options.password, enumerable: false, writable: true });
  }
  if (options.ssl !== undefined) config.ssl = options.ssl;
  return config;
}

/** `host:port/database` from connection settings or a connection string, without user or password. */
export function describeTarget(config: PoolConfig): string {
  const env = process.env;
  if (config.connectionString !== undefined) {
    try {
      const url = new URL(config.connectionString);
      return `${url.hostname || "localhost"}:${url.port || 5432}${url.pathname}`;
    } catch {
      // Not a URL (libpq key=value form): it may hold a password, so it is not shown at all.
      return "the configured connection string";
    }
  }
  const host = config.host ?? env.PGHOST ?? "localhost";
  const port = config.port ?? env.PGPORT ?? 5432;
  const database = config.database ?? env.PGDATABASE;
  return `${host}:${port}${database ? `/${database}` : ""}`;
}
