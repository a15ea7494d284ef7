import type { NatsConnection } from "@nats-io/transport-node";
import {
  ConfigError,
  type ConfigIssue,
  consoleLogger,
  type Duration,
  type Logger,
  parseDuration,
  redactUrl,
  timerLimitProblem,
} from "@prism/consumer-core/driver";
import { defaultStreamTemplate, subjectPlaceholder } from "./internal/names.js";
import { parseServer, serverList } from "./internal/servers.js";

/** Options of `NatsDriver.connect`; YAML uses the same keys in snake_case (`max_reconnects`). */
export interface NatsDriverOptions {
  /** Server URL, or several (a list or comma-separated). Default `nats://127.0.0.1:4222`. */
  readonly url?: string | readonly string[];
  /** An open connection to use instead of connecting; the driver does not close it. */
  readonly connection?: NatsConnection;
  /** Reconnect attempts per server after a lost connection; -1 retries forever. Default -1. */
  readonly maxReconnects?: number;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** Require TLS (also implied by `tls://` URLs). */
  readonly tls?: boolean;
  /** Connection name shown by the server's monitoring. */
  readonly name?: string;
  /** `true` (default): pub/sub over JetStream, at-least-once. `false`: core NATS pub/sub, at-most-once. */
  readonly jetstream?: boolean;
  /** Name of the stream a subject goes to when none captures it; `{subject}` is replaced. */
  readonly stream?: string;
  /** Create missing streams (default) or only bind to existing ones. */
  readonly createStreams?: boolean;
  /** Storage of the streams the driver creates. Default `"file"`. */
  readonly storage?: "file" | "memory";
  /** How long a delivered JetStream message may stay unacknowledged before it is delivered again. */
  readonly ackWait?: Duration;
  /** Deliveries per message before JetStream stops trying; -1 (default) is unlimited. */
  readonly maxDeliver?: number;
  /** Delay before a message rejected with requeue is delivered again. Default 0. */
  readonly nakDelay?: Duration;
  /** Messages each JetStream subscription pulls ahead. Default 64. */
  readonly fetchBatch?: number;
  /** Core NATS: messages a subscription holds for a slow reader before it drops (and reports) more. */
  readonly coreBuffer?: number;
  /** The JetStream KV bucket the key/value methods use. Default `"prism_state"`. */
  readonly kvBucket?: string;
  /** Storage of the bucket when the driver creates it. Default `"file"`. */
  readonly kvStorage?: "file" | "memory";
  /** Create the bucket when it is missing, or only open an existing one. Default: `createStreams`. */
  readonly createBuckets?: boolean;
  /** Where the driver reports dropped core NATS messages and retried JetStream reads. Default: console. */
  readonly logger?: Logger;
}

/** The options with defaults applied and credentials taken out of the URLs. */
export interface ResolvedNatsOptions {
  /** Server URLs without credentials. */
  readonly servers: readonly string[];
  readonly connection: NatsConnection | undefined;
  readonly maxReconnects: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly token: string | undefined;
  readonly tls: boolean;
  readonly name: string | undefined;
  readonly jetstream: boolean;
  readonly streamTemplate: string;
  readonly createStreams: boolean;
  readonly storage: "file" | "memory";
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly nakDelayMs: number;
  readonly fetchBatch: number;
  readonly coreBuffer: number;
  readonly kvBucket: string;
  readonly kvStorage: "file" | "memory";
  readonly createBuckets: boolean;
  readonly logger: Logger;
}

export const defaultNatsUrl = "nats://127.0.0.1:4222";

type Style = "camel" | "snake";
type Check = (value: unknown, style: Style) => string | undefined;

const text: Check = (v) =>
  typeof v === "string" && v.trim() !== "" ? undefined : `expected a non-empty string, got ${show(v)}`;
// Never echo a secret, not even a wrong one.
const secret: Check = (v) =>
  typeof v === "string" && v !== "" ? undefined : `expected a non-empty string, got ${typeName(v)}`;
const flag: Check = (v) => (typeof v === "boolean" ? undefined : `expected true or false, got ${show(v)}`);
const integer =
  (min: number, rule = `an integer >= ${min}`): Check =>
  (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= min ? undefined : `expected ${rule}, got ${show(v)}`;
const duration =
  (positive: boolean): Check =>
  (v, style) => {
    // As in core: a bare number in YAML is ambiguous (Go reads nanoseconds), so a unit is required there.
    const ms = style === "snake" && typeof v === "number" && v !== 0 ? undefined : parseDuration(v);
    return ms === undefined || (positive && ms <= 0)
      ? `expected a${positive ? " positive" : ""} duration like "30s" or "500ms", got ${show(v)}`
      : timerLimitProblem(ms, show(v));
  };
const urls: Check = (v) => {
  const list = typeof v === "string" ? v.split(",") : Array.isArray(v) ? v : undefined;
  if (!list || list.length === 0 || list.some((u) => typeof u !== "string")) {
    return `expected a URL such as "${defaultNatsUrl}" or a comma-separated list, got ${show(v)}`;
  }
  const bad = (list as string[]).filter((u) => parseServer(u) === undefined);
  return bad.length === 0
    ? undefined
    : `expected nats://host:port or tls://host:port URLs, got ${bad.map((u) => JSON.stringify(redactUrl(u.trim()))).join(", ")}`;
};
const streamTemplate: Check = (v) => {
  const problem = text(v, "camel");
  if (problem) return problem;
  const fixed = (v as string).replaceAll(subjectPlaceholder, "");
  return /[^A-Za-z0-9_-]/.test(fixed)
    ? `expected letters, digits, "-", "_" and ${subjectPlaceholder}, got ${show(v)}`
    : undefined;
};
// As @nats-io/kv requires; the bucket's stream is KV_{bucket}.
const bucket: Check = (v) =>
  typeof v === "string" && /^[-\w]+$/.test(v)
    ? undefined
    : `expected letters, digits, "-" and "_", got ${show(v)}`;
const storage: Check = (v) =>
  v === "file" || v === "memory" ? undefined : `expected "file" or "memory", got ${show(v)}`;
const maxDeliver: Check = (v) =>
  typeof v === "number" && Number.isInteger(v) && (v === -1 || v >= 1)
    ? undefined
    : `expected -1 (unlimited) or an integer >= 1, got ${show(v)}`;
const connection: Check = (v) =>
  typeof v === "object" && v !== null && typeof (v as NatsConnection).subscribe === "function"
    ? undefined
    : `expected a NatsConnection from @nats-io/transport-node, got ${typeName(v)}`;
const logger: Check = (v) =>
  typeof v === "object" && v !== null && typeof (v as Logger).warn === "function"
    ? undefined
    : `expected a Logger, got ${typeName(v)}`;

interface Field {
  readonly camel: keyof NatsDriverOptions;
  readonly snake: string;
  readonly check: Check;
  /** Only in TypeScript options (objects cannot come from YAML). */
  readonly codeOnly?: boolean;
  /** Settings of a connection the driver opens; meaningless with `connection`. */
  readonly connecting?: boolean;
}

const fields: readonly Field[] = [
  { camel: "url", snake: "url", check: urls, connecting: true },
  { camel: "connection", snake: "connection", check: connection, codeOnly: true },
  {
    camel: "maxReconnects",
    snake: "max_reconnects",
    check: integer(-1, "-1 (forever) or an integer >= 0"),
    connecting: true,
  },
  { camel: "user", snake: "user", check: secret, connecting: true },
  { camel: "password", snake: "password", check: secret, connecting: true },
  { camel: "token", snake: "token", check: secret, connecting: true },
  { camel: "tls", snake: "tls", check: flag, connecting: true },
  { camel: "name", snake: "name", check: text, connecting: true },
  { camel: "jetstream", snake: "jetstream", check: flag },
  { camel: "stream", snake: "stream", check: streamTemplate },
  { camel: "createStreams", snake: "create_streams", check: flag },
  { camel: "storage", snake: "storage", check: storage },
  { camel: "ackWait", snake: "ack_wait", check: duration(true) },
  { camel: "maxDeliver", snake: "max_deliver", check: maxDeliver },
  { camel: "nakDelay", snake: "nak_delay", check: duration(false) },
  { camel: "fetchBatch", snake: "fetch_batch", check: integer(1) },
  { camel: "coreBuffer", snake: "core_buffer", check: integer(1) },
  { camel: "kvBucket", snake: "kv_bucket", check: bucket },
  { camel: "kvStorage", snake: "kv_storage", check: storage },
  { camel: "createBuckets", snake: "create_buckets", check: flag },
  { camel: "logger", snake: "logger", check: logger, codeOnly: true },
];

/**
 * Checks driver options — YAML's `slots.*.config` mapping (`style: "snake"`) or `NatsDriver.connect`'s
 * options (`"camel"`) — and applies the defaults. Throws one `ConfigError` listing every problem by path,
 * e.g. `slots.message_source.config.max_reconnects: expected -1 (forever) or an integer >= 0, got "ten"`.
 * Secrets are never repeated in messages and URLs are shown with credentials redacted.
 */
export function resolveNatsOptions(raw: unknown, style: Style, path: string): ResolvedNatsOptions {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError([{ path, message: `expected a mapping, got ${typeName(raw)}` }]);
  }
  const record = raw as Record<string, unknown>;
  const known = fields.filter((f) => style === "camel" || !f.codeOnly);
  const keyOf = (f: Field) => (style === "snake" ? f.snake : f.camel);
  const issues: ConfigIssue[] = [];
  const at = (key: string) => `${path}.${key}`;
  for (const key of Object.keys(record)) {
    if (!known.some((f) => keyOf(f) === key) && record[key] !== undefined) {
      issues.push({ path: at(key), message: `unknown key; expected one of ${known.map(keyOf).join(", ")}` });
    }
  }
  const values: Partial<Record<keyof NatsDriverOptions, unknown>> = {};
  for (const field of known) {
    const value = record[keyOf(field)];
    if (value === undefined) continue;
    const problem = field.check(value, style);
    if (problem) issues.push({ path: at(keyOf(field)), message: problem });
    else values[field.camel] = value;
  }
  const keyName = (camel: keyof NatsDriverOptions) => keyOf(fields.find((f) => f.camel === camel) as Field);
  if (values.connection !== undefined) {
    for (const field of known.filter((f) => f.connecting && record[keyOf(f)] !== undefined)) {
      issues.push({ path: at(keyOf(field)), message: `cannot be combined with ${keyName("connection")}` });
    }
  }
  if (values.token !== undefined && (values.user !== undefined || values.password !== undefined)) {
    issues.push({ path: at(keyName("token")), message: "use either a token or user and password, not both" });
  }
  if ((values.user === undefined) !== (values.password === undefined)) {
    const missing = values.user === undefined ? "user" : "password";
    issues.push({
      path: at(keyName(missing)),
      message: `required with ${keyName(missing === "user" ? "password" : "user")}`,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const servers = serverList(values.url ?? defaultNatsUrl);
  const createStreams = (values.createStreams as boolean | undefined) ?? true;
  const fromUrl = servers.find((s) => s.user !== undefined || s.password !== undefined);
  const credentials =
    values.user !== undefined || values.token !== undefined
      ? {
          user: values.user as string | undefined,
          password: values.password as string | undefined,
          token: values.token as string | undefined,
        }
      : fromUrl?.password !== undefined
        ? { user: fromUrl.user, password: fromUrl.password, token: undefined }
        : { user: undefined, password: undefined, token: fromUrl?.user };
  return {
    servers: servers.map((s) => s.url),
    connection: values.connection as NatsConnection | undefined,
    maxReconnects: (values.maxReconnects as number | undefined) ?? -1,
    ...credentials,
    tls: (values.tls as boolean | undefined) ?? servers.some((s) => s.url.startsWith("tls:")),
    name: values.name as string | undefined,
    jetstream: (values.jetstream as boolean | undefined) ?? true,
    streamTemplate: (values.stream as string | undefined) ?? defaultStreamTemplate,
    createStreams,
    storage: (values.storage as "file" | "memory" | undefined) ?? "file",
    ackWaitMs: parseDuration(values.ackWait ?? "30s") as number,
    maxDeliver: (values.maxDeliver as number | undefined) ?? -1,
    nakDelayMs: parseDuration(values.nakDelay ?? 0) as number,
    fetchBatch: (values.fetchBatch as number | undefined) ?? 64,
    coreBuffer: (values.coreBuffer as number | undefined) ?? 10_000,
    kvBucket: (values.kvBucket as string | undefined) ?? "prism_state",
    kvStorage: (values.kvStorage as "file" | "memory" | undefined) ?? "file",
    createBuckets: (values.createBuckets as boolean | undefined) ?? createStreams,
    logger: (values.logger as Logger | undefined) ?? consoleLogger,
  };
}

/**
 * Checks a YAML `config:` mapping (snake_case keys, errors located under `path`, e.g.
 * `slots.message_source.config`) and returns it as `NatsDriver.connect` options.
 */
export function natsOptionsFromConfig(
  config: Readonly<Record<string, unknown>>,
  path: string,
): NatsDriverOptions {
  resolveNatsOptions(config, "snake", path);
  const options: Record<string, unknown> = {};
  for (const field of fields) {
    if (!field.codeOnly && config[field.snake] !== undefined) options[field.camel] = config[field.snake];
  }
  return options as NatsDriverOptions;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeName(value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value === "string" ? "a string" : `a ${typeof value}`;
}
