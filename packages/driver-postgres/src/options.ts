import type { ConnectionOptions } from "node:tls";
import { consoleLogger, type Logger } from "@prism/consumer-core/driver";
import type { Pool, PoolConfig } from "pg";
import { identifierProblem, type SchemaNames, schemaNames } from "./internal/schema.js";

/** Options of `PostgresDriver.connect`; every one is optional. */
export interface PostgresDriverOptions {
  /** `postgres://user:password@host:5432/database?sslmode=require`; instead of the five settings below. */
  readonly connectionString?: string;
  /** Default: `PGHOST` or `localhost` (node-postgres reads the libpq environment variables). */
  readonly host?: string;
  /** Default: `PGPORT` or 5432. */
  readonly port?: number;
  /** Default: `PGDATABASE` or the user name. */
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
  /** `true`: TLS with certificate verification; or Node's TLS options. Default: no TLS. */
  readonly ssl?: boolean | ConnectionOptions;
  /** Connections in the driver's pool. Default 10. Receivers waiting for messages use one more, shared. */
  readonly poolSize?: number;
  /**
   * An existing pool to use instead of the connection settings above. The driver does not end it on
   * `close()`; its LISTEN connection is a separate client made from `pool.options`.
   */
  readonly pool?: Pool;
  /** Schema of the driver's tables, created when missing. Default "public". */
  readonly schema?: string;
  /** Key/value table, created when missing. Default "prism_kv". */
  readonly kvTable?: string;
  /** Queue table, created when missing. Default "prism_queue". */
  readonly queueTable?: string;
  /**
   * How long a claimed message stays invisible to other receivers. The receive that holds it renews
   * this while it runs, so only a dead (or stopped) receiver's messages come back, after at most this
   * long. Default 10 s.
   */
  readonly visibilityTimeoutMs?: number;
  /** Longest a waiting receiver sleeps between checks when no NOTIFY arrives. Default 1 s. */
  readonly pollIntervalMs?: number;
  /** How often expired keys are deleted (reads ignore them anyway). Default 60 s. */
  readonly purgeIntervalMs?: number;
  /** Where pool and LISTEN connection problems are reported. Default `consoleLogger`. */
  readonly logger?: Logger;
}

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

const connectionKeys = ["host", "port", "database", "user", "password", "ssl", "poolSize"] as const;

/** Checks the options and fills in defaults; throws `RangeError` naming the first bad option. */
export function resolveOptions(options: PostgresDriverOptions): ResolvedOptions {
  const given = connectionKeys.filter((key) => options[key] !== undefined);
  if (options.pool && (options.connectionString !== undefined || given.length > 0)) {
    throw new RangeError("PostgresDriver: pass either `pool` or connection settings, not both");
  }
  const serverKeys = given.filter((key) => key !== "poolSize" && key !== "ssl");
  if (options.connectionString !== undefined && serverKeys.length > 0) {
    throw new RangeError(
      `PostgresDriver: \`connectionString\` cannot be combined with ${serverKeys.join(", ")}; put them in the URL`,
    );
  }
  const poolSize = options.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new RangeError(`PostgresDriver: poolSize must be an integer >= 1, got ${poolSize}`);
  }
  if (
    options.port !== undefined &&
    !(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)
  ) {
    throw new RangeError(`PostgresDriver: port must be an integer from 1 to 65535, got ${options.port}`);
  }
  const schema = identifier("schema", options.schema ?? "public");
  const kvTable = identifier("kvTable", options.kvTable ?? "prism_kv");
  const queueTable = identifier("queueTable", options.queueTable ?? "prism_queue");
  const poolConfig = options.pool ? undefined : toPoolConfig(options, poolSize);
  return {
    poolConfig,
    pool: options.pool,
    names: schemaNames(schema, kvTable, queueTable),
    visibilityTimeoutMs: positiveMs("visibilityTimeoutMs", options.visibilityTimeoutMs ?? 10_000),
    pollIntervalMs: positiveMs("pollIntervalMs", options.pollIntervalMs ?? 1000),
    purgeIntervalMs: positiveMs("purgeIntervalMs", options.purgeIntervalMs ?? 60_000),
    logger: options.logger ?? consoleLogger,
    target: describeTarget(options.pool?.options ?? poolConfig ?? {}),
  };
}

function toPoolConfig(options: PostgresDriverOptions, poolSize: number): PoolConfig {
  const config: PoolConfig = {
    max: poolSize,
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

function identifier(option: string, name: string): string {
  const problem = identifierProblem(name);
  if (problem) throw new RangeError(`PostgresDriver: ${option} ${JSON.stringify(name)}: ${problem}`);
  return name;
}

function positiveMs(option: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`PostgresDriver: ${option} must be a number of milliseconds > 0, got ${value}`);
  }
  return value;
}
