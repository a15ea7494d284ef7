import type { NatsConnection } from "@nats-io/transport-node";
import {
  ConfigError,
  type ConfigIssue,
  consoleLogger,
  type Duration,
  defineOptions,
  type Logger,
  type OptionType,
  option,
  redactUrl,
  show,
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

const urls: OptionType<string | string[]> = {
  read: (v) => {
    const list = typeof v === "string" ? v.split(",") : Array.isArray(v) ? v : undefined;
    if (!list || list.length === 0 || list.some((u) => typeof u !== "string")) {
      return {
        problem: `expected a URL such as "${defaultNatsUrl}" or a comma-separated list, got ${show(v)}`,
      };
    }
    const bad = (list as string[]).filter((u) => parseServer(u) === undefined);
    // URLs may carry credentials: shown redacted, even when wrong.
    return bad.length === 0
      ? { value: v as string | string[] }
      : {
          problem: `expected nats://host:port or tls://host:port URLs, got ${bad.map((u) => JSON.stringify(redactUrl(u.trim()))).join(", ")}`,
        };
  },
  jsonSchema: () => ({ anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] }),
};
const streamTemplate: OptionType<string> = {
  read: (v) => {
    const fixed = typeof v === "string" ? v.replaceAll(subjectPlaceholder, "") : undefined;
    return typeof v === "string" && v.trim() !== "" && !/[^A-Za-z0-9_-]/.test(fixed as string)
      ? { value: v }
      : { problem: `expected letters, digits, "-", "_" and ${subjectPlaceholder}, got ${show(v)}` };
  },
  jsonSchema: () => ({ type: "string", pattern: "^([A-Za-z0-9_-]|\\{subject\\})+$" }),
};
const isConnection = (v: unknown): v is NatsConnection =>
  typeof v === "object" && v !== null && typeof (v as NatsConnection).subscribe === "function";
const isLogger = (v: unknown): v is Logger =>
  typeof v === "object" && v !== null && typeof (v as Logger).warn === "function";
const storage = option.oneOf(["file", "memory"] as const);

/** The driver's options, declared once for YAML (snake_case) and code (camelCase). */
export const natsOptions = defineOptions({
  url: urls,
  connection: {
    type: option.instance(isConnection, "a NatsConnection from @nats-io/transport-node"),
    codeOnly: true,
  },
  maxReconnects: { type: option.integer({ min: -1, hint: "-1 (forever) or an integer >= 0" }), default: -1 },
  user: option.string({ secret: true }),
  password: option.string({ secret: true }),
  token: option.string({ secret: true }),
  tls: option.boolean(),
  name: option.string(),
  jetstream: { type: option.boolean(), default: true },
  stream: { type: streamTemplate, default: defaultStreamTemplate },
  createStreams: { type: option.boolean(), default: true },
  storage: { type: storage, default: "file" as const },
  ackWait: { type: option.duration({ positive: true }), default: 30_000 },
  maxDeliver: {
    type: option.either(
      option.integer({ min: -1, max: -1 }),
      option.integer({ min: 1 }),
      "-1 (unlimited) or an integer >= 1",
    ),
    default: -1,
  },
  nakDelay: { type: option.duration(), default: 0 },
  fetchBatch: { type: option.integer({ min: 1 }), default: 64 },
  coreBuffer: { type: option.integer({ min: 1 }), default: 10_000 },
  // As @nats-io/kv requires; the bucket's stream is KV_{bucket}.
  kvBucket: {
    type: option.string({ pattern: /^[-\w]+$/, hint: 'letters, digits, "-" and "_"' }),
    default: "prism_state",
  },
  kvStorage: { type: storage, default: "file" as const },
  createBuckets: option.boolean(),
  logger: { type: option.instance(isLogger, "a Logger"), codeOnly: true },
});

/** Settings of a connection the driver opens; meaningless with `connection`. */
const connectingKeys = ["url", "maxReconnects", "user", "password", "token", "tls", "name"] as const;

/**
 * Checks driver options — YAML's `slots.*.config` mapping (`style: "snake"`) or `NatsDriver.connect`'s
 * options (`"camel"`) — and applies the defaults. Throws one `ConfigError` listing every problem by path,
 * e.g. `slots.message_source.config.max_reconnects: expected -1 (forever) or an integer >= 0, got "ten"`.
 * Secrets are never repeated in messages and URLs are shown with credentials redacted.
 */
export function resolveNatsOptions(raw: unknown, style: Style, path: string): ResolvedNatsOptions {
  const values = readChecked(raw, style, path, true);
  const servers = serverList(values.url ?? defaultNatsUrl);
  const fromUrl = servers.find((s) => s.user !== undefined || s.password !== undefined);
  const credentials =
    values.user !== undefined || values.token !== undefined
      ? { user: values.user, password: values.password, token: values.token }
      : fromUrl?.password !== undefined
        ? { user: fromUrl.user, password: fromUrl.password, token: undefined }
        : { user: undefined, password: undefined, token: fromUrl?.user };
  return {
    servers: servers.map((s) => s.url),
    connection: values.connection,
    maxReconnects: values.maxReconnects,
    ...credentials,
    tls: values.tls ?? servers.some((s) => s.url.startsWith("tls:")),
    name: values.name,
    jetstream: values.jetstream,
    streamTemplate: values.stream,
    createStreams: values.createStreams,
    storage: values.storage,
    ackWaitMs: values.ackWait,
    maxDeliver: values.maxDeliver,
    nakDelayMs: values.nakDelay,
    fetchBatch: values.fetchBatch,
    coreBuffer: values.coreBuffer,
    kvBucket: values.kvBucket,
    kvStorage: values.kvStorage,
    createBuckets: values.createBuckets ?? values.createStreams,
    logger: values.logger ?? consoleLogger,
  };
}

/**
 * Reads the options and adds what one option alone cannot say (a connection excludes connection
 * settings; a token excludes user and password; user and password go together), every problem at once.
 */
function readChecked(raw: unknown, style: Style, path: string, defaults: boolean) {
  const issues: ConfigIssue[] = [];
  const values = natsOptions.collect(raw, { style, path, defaults }, issues);
  if (typeof raw === "object" && raw !== null) {
    const record = raw as Record<string, unknown>;
    const keyOf = (camel: string) => (style === "snake" ? toSnake(camel) : camel);
    const given = (camel: string) => record[keyOf(camel)] != null;
    const at = (camel: string) => `${path}.${keyOf(camel)}`;
    if (given("connection")) {
      for (const key of connectingKeys.filter(given)) {
        issues.push({ path: at(key), message: `cannot be combined with ${keyOf("connection")}` });
      }
    }
    if (given("token") && (given("user") || given("password"))) {
      issues.push({ path: at("token"), message: "use either a token or user and password, not both" });
    }
    if (given("user") !== given("password")) {
      const missing = given("user") ? "password" : "user";
      issues.push({
        path: at(missing),
        message: `required with ${keyOf(missing === "user" ? "password" : "user")}`,
      });
    }
  }
  if (issues.length > 0 || values === undefined) throw new ConfigError(issues);
  return values;
}

const toSnake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Checks a YAML `config:` mapping (snake_case keys, errors located under `path`, e.g.
 * `slots.message_source.config`) and returns it as `NatsDriver.connect` options.
 */
export function natsOptionsFromConfig(
  config: Readonly<Record<string, unknown>>,
  path: string,
): NatsDriverOptions {
  return readChecked(config, "snake", path, false);
}
