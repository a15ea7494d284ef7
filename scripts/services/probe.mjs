// Readiness probes for the local services (Postgres, Redis, NATS, Kafka).
// Plain Node 20 built-ins only. Every probe really talks the service's protocol:
//   postgres: StartupMessage (+ cleartext/MD5/SCRAM-SHA-256 auth when the URL has a password) until ReadyForQuery
//   redis:    [AUTH] + PING -> +PONG
//   nats:     reads the INFO line, then CONNECT + PING -> PONG
//   kafka:    ApiVersions v0 (api key 18) request -> response with error_code 0
//
// Without DATABASE_URL, REDIS_URL, NATS_URL or KAFKA_BROKERS, a service is this checkout's private instance
// (instances.mjs), which `pnpm services:up` starts.
//
// Usage from tests (types in probe.d.mts):
//   import { probe } from "../../../scripts/services/probe.mjs";
//   const r = await probe("kafka"); // { name, url, where, reachable, reason?, detail?, answered }
// Test suites use scripts/test-support/backends.mjs, which skips loudly or fails under CI=true.
// CLI: node scripts/services/probe.mjs [postgres|redis|nats|kafka ...]  (prints JSON, exit 1 if any unreachable)

import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import { pathToFileURL } from "node:url";
import { instance, SERVICES, URL_VARIABLES, USUAL_PORTS } from "./instances.mjs";

export { SERVICES };

/** Replaces credentials in a URL (or comma-separated list of URLs / host:port) with ***. */
export function redact(url) {
  return String(url)
    .split(",")
    .map((u) =>
      u.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_m, scheme, cred) => {
        const i = cred.indexOf(":");
        // user:pass -> user:***   ;   a lone user part in nats:// is a token -> ***
        if (i >= 0) return `${scheme}${cred.slice(0, i)}:***@`;
        return /^nats/i.test(scheme) ? `${scheme}***@` : `${scheme}${cred}@`;
      }),
    )
    .join(",");
}

export function isLocalHost(host) {
  const h = String(host).replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\./.test(h);
}

/**
 * Connection settings for a service: its variable's value (or this checkout's private instance), the
 * redacted form, whether the variable set it, and the parsed targets.
 * @returns {{ name: string, envVar: string, raw: string, url: string, fromEnvironment: boolean,
 *   targets: { host: string, port: number, user?: string, password?: string, database?: string, tls?: boolean }[] }}
 */
export function settings(name, env = process.env) {
  if (!URL_VARIABLES[name])
    throw new Error(`unknown service "${name}" (expected one of ${SERVICES.join(", ")})`);
  const envVar = URL_VARIABLES[name];
  const fromEnvironment = Boolean(env[envVar]?.trim());
  const raw = fromEnvironment ? env[envVar].trim() : instance(name, env).url;
  const parts = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const targets = parts.map((p) => parseTarget(name, p, env));
  return { name, envVar, raw, url: redact(raw), fromEnvironment, targets };
}

function parseTarget(name, s, env) {
  if (name === "kafka") {
    const hp = s.replace(/^[a-z_]+:\/\//i, "");
    const m = hp.match(/^\[([^\]]+)\]:(\d+)$/) || hp.match(/^([^:]+):(\d+)$/) || hp.match(/^([^:]+)$/);
    if (!m) throw new Error(`cannot parse KAFKA_BROKERS entry "${s}"`);
    return { host: m[1], port: Number(m[2] || USUAL_PORTS.kafka) };
  }
  // nats lists may omit the scheme on later entries
  const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `${name === "nats" ? "nats" : name}://${s}`);
  const host = u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  const t = {
    host,
    port: Number(u.port || USUAL_PORTS[name]),
    user: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
  if (name === "postgres") {
    t.user = t.user || env.PGUSER || "postgres";
    t.database = decodeURIComponent(u.pathname.replace(/^\//, "")) || t.user;
  }
  if (name === "redis") t.tls = u.protocol === "rediss:";
  if (name === "nats") t.tls = u.protocol === "tls:";
  if (name === "prometheus") t.tls = u.protocol === "https:";
  return t;
}

const hostPort = (t) => (t.host.includes(":") ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`);

/**
 * Probes a service by really talking its protocol.
 * @param {"postgres"|"redis"|"nats"|"kafka"} name
 * @param {Record<string, string|undefined>} [env]
 * @param {{ timeoutMs?: number }} [opts]
 * @returns {Promise<{ name: string, url: string, where: string, reachable: boolean, reason?: string,
 *   detail?: string, answered: boolean }>}
 *   answered: something accepted the TCP connection (even if the protocol exchange failed).
 */
export async function probe(name, env = process.env, opts = {}) {
  const s = settings(name, env);
  const timeoutMs = opts.timeoutMs ?? 3000;
  const reasons = [];
  let answered = false;
  for (const t of s.targets) {
    try {
      const detail = await PROBES[name](t, timeoutMs);
      return { name, url: s.url, where: hostPort(t), reachable: true, detail, answered: true };
    } catch (e) {
      if (e.answered) answered = true;
      reasons.push(s.targets.length > 1 ? `${hostPort(t)}: ${e.message}` : e.message);
    }
  }
  return {
    name,
    url: s.url,
    where: hostPort(s.targets[0]),
    reachable: false,
    // Say whose server it is: one the variable named, or this checkout's own (which `services:up` starts).
    reason: `${s.fromEnvironment ? `${s.envVar}=${s.url}` : `${s.url} (this checkout's)`}: ${reasons.join("; ")}`,
    answered,
  };
}

export async function probeAll(names = SERVICES, env = process.env, opts = {}) {
  return Promise.all(names.map((n) => probe(n, env, opts)));
}

// ---------------------------------------------------------------------------------------------
// A tiny buffered socket: connect, write, and "read until this parser says it has a frame".

class ProbeError extends Error {
  constructor(message, answered) {
    super(message);
    this.answered = answered;
  }
}

function session(t, timeoutMs, useTls = false) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let waiter = null;
    let ended = null;
    let connected = false;
    const sock = useTls
      ? tls.connect({ host: t.host, port: t.port, servername: net.isIP(t.host) ? undefined : t.host })
      : net.connect({ host: t.host, port: t.port });
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs}ms`)), timeoutMs);
    const fail = (err) => {
      ended = err;
      sock.destroy();
      clearTimeout(timer);
      const e = new ProbeError(err.code ? `${err.code} ${hostPort(t)}` : err.message, connected);
      if (!connected) reject(e);
      else if (waiter) {
        const w = waiter;
        waiter = null;
        w.reject(e);
      }
    };
    const pump = () => {
      if (!waiter) return;
      let r;
      try {
        r = waiter.parse(buf);
      } catch (e) {
        const w = waiter;
        waiter = null;
        w.reject(new ProbeError(e.message, true));
        return;
      }
      if (r) {
        buf = buf.subarray(r.used);
        const w = waiter;
        waiter = null;
        w.resolve(r.value);
      } else if (ended) {
        const w = waiter;
        waiter = null;
        w.reject(new ProbeError(`connection closed by server (${ended.message})`, true));
      }
    };
    sock.on(useTls ? "secureConnect" : "connect", () => {
      connected = true;
      resolve({
        write: (b) => sock.write(b),
        read: (parse) =>
          new Promise((res, rej) => {
            if (ended && !buf.length) return rej(new ProbeError("connection closed by server", true));
            waiter = { parse, resolve: res, reject: rej };
            pump();
          }),
        close: () => {
          clearTimeout(timer);
          sock.end();
          setTimeout(() => sock.destroy(), 200).unref();
        },
      });
    });
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      pump();
    });
    sock.on("error", fail);
    sock.on("end", () => {
      ended = ended || new Error("EOF");
      pump();
    });
    sock.on("close", () => {
      ended = ended || new Error("closed");
      clearTimeout(timer);
      pump();
    });
  });
}

const lineParser = (b) => {
  const i = b.indexOf("\r\n");
  return i < 0 ? null : { value: b.subarray(0, i).toString("utf8"), used: i + 2 };
};

// ---------------------------------------------------------------------------------------------
// Redis

function resp(args) {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

async function probeRedis(t, timeoutMs) {
  const c = await session(t, timeoutMs, t.tls);
  try {
    if (t.password) {
      c.write(resp(t.user && t.user !== "default" ? ["AUTH", t.user, t.password] : ["AUTH", t.password]));
      const a = await c.read(lineParser);
      if (!a.startsWith("+OK")) throw new ProbeError(`AUTH failed: ${a.replace(/^-/, "")}`, true);
    }
    c.write(resp(["PING"]));
    const line = await c.read(lineParser);
    if (line !== "+PONG")
      throw new ProbeError(`PING answered "${line.replace(/^-/, "")}" instead of +PONG`, true);
    return "PONG";
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------------------------------------
// NATS

async function probeNats(t, timeoutMs) {
  const c = await session(t, timeoutMs);
  try {
    const line = await c.read(lineParser);
    if (!line.startsWith("INFO "))
      throw new ProbeError(`expected INFO line, got "${line.slice(0, 80)}"`, true);
    const info = JSON.parse(line.slice(5));
    const detail = `nats-server ${info.version}, jetstream ${info.jetstream ? "on" : "off"}`;
    if (info.tls_required) return `${detail} (TLS required: INFO seen, CONNECT not verified)`;
    const connect = {
      verbose: false,
      pedantic: false,
      lang: "node",
      version: "0",
      name: "services-probe",
      protocol: 1,
    };
    if (t.user && t.password) Object.assign(connect, { user: t.user, pass: t.password });
    else if (t.user) connect.auth_token = t.user;
    c.write(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`);
    for (;;) {
      const l = await c.read(lineParser);
      if (l === "PONG") return detail;
      if (l.startsWith("-ERR")) throw new ProbeError(`server said ${l}`, true);
      // +OK / PING / INFO updates: keep reading
      if (l === "PING") c.write("PONG\r\n");
    }
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka: ApiVersions v0 = [int32 size][int16 key=18][int16 version=0][int32 correlation][int16 len + client id]

async function probeKafka(t, timeoutMs) {
  const c = await session(t, timeoutMs);
  try {
    const clientId = Buffer.from("services-probe");
    const correlationId = 0x5eed;
    const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
    req.writeInt32BE(req.length - 4, 0);
    req.writeInt16BE(18, 4);
    req.writeInt16BE(0, 6);
    req.writeInt32BE(correlationId, 8);
    req.writeInt16BE(clientId.length, 12);
    clientId.copy(req, 14);
    c.write(req);
    const frame = await c.read((b) => {
      if (b.length < 4) return null;
      const size = b.readInt32BE(0);
      if (size < 0 || size > 1 << 20) throw new Error(`not a Kafka response (frame size ${size})`);
      return b.length < 4 + size ? null : { value: b.subarray(4, 4 + size), used: 4 + size };
    });
    if (frame.length < 6 || frame.readInt32BE(0) !== correlationId) {
      throw new ProbeError("ApiVersions response had the wrong correlation id (not a Kafka broker?)", true);
    }
    const errorCode = frame.readInt16BE(4);
    if (errorCode !== 0) throw new ProbeError(`ApiVersions returned error code ${errorCode}`, true);
    const n = frame.readInt32BE(6);
    const apis = new Map();
    for (let i = 0; i < n && 10 + i * 6 + 6 <= frame.length; i++) {
      const o = 10 + i * 6;
      apis.set(frame.readInt16BE(o), [frame.readInt16BE(o + 2), frame.readInt16BE(o + 4)]);
    }
    const v = (k) => (apis.has(k) ? `${apis.get(k)[0]}-${apis.get(k)[1]}` : "none");
    return `ApiVersions ok: ${n} APIs (Produce v${v(0)}, Fetch v${v(1)}, Metadata v${v(3)})`;
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Postgres: StartupMessage, authenticate if asked, wait for ReadyForQuery, then Terminate.

function pgMessage(type, body) {
  const b = Buffer.alloc(5 + body.length);
  b.write(type, 0, "latin1");
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
}

const pgParser = (b) => {
  if (b.length < 5) return null;
  const len = b.readInt32BE(1);
  if (len < 4 || len > 1 << 24) throw new Error("not a PostgreSQL server (bad message length)");
  return b.length < 1 + len
    ? null
    : { value: { type: String.fromCharCode(b[0]), body: b.subarray(5, 1 + len) }, used: 1 + len };
};

function pgError(body) {
  const f = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]);
    const end = body.indexOf(0, i + 1);
    f[code] = body.subarray(i + 1, end).toString("utf8");
    i = end + 1;
  }
  return `${f.S || "ERROR"} ${f.C || ""}: ${f.M || "unknown error"}`;
}

async function probePostgres(t, timeoutMs) {
  const c = await session(t, timeoutMs);
  try {
    const params = ["user", t.user, "database", t.database, "application_name", "services-probe"];
    const body = Buffer.concat([
      Buffer.from([0, 3, 0, 0]),
      ...params.map((p) => Buffer.from(`${p}\0`, "utf8")),
      Buffer.from([0]),
    ]);
    const startup = Buffer.alloc(4 + body.length);
    startup.writeInt32BE(startup.length, 0);
    body.copy(startup, 4);
    c.write(startup);
    let scram = null;
    let version = "";
    for (;;) {
      const m = await c.read(pgParser);
      if (m.type === "E") throw new ProbeError(pgError(m.body), true);
      if (m.type === "S") {
        const [k, v] = m.body.toString("utf8").split("\0");
        if (k === "server_version") version = v;
      }
      if (m.type === "Z") {
        c.write(pgMessage("X", Buffer.alloc(0)));
        return `PostgreSQL ${version}, user ${t.user}, database ${t.database}`;
      }
      if (m.type !== "R") continue;
      const code = m.body.readInt32BE(0);
      if (code === 0) continue; // AuthenticationOk
      if (t.password === undefined) {
        throw new ProbeError(
          `server wants a password for user "${t.user}" (auth code ${code}); put it in the URL`,
          true,
        );
      }
      if (code === 3) c.write(pgMessage("p", Buffer.from(`${t.password}\0`)));
      else if (code === 5) {
        const md5 = (x) => createHash("md5").update(x).digest("hex");
        const inner = md5(Buffer.concat([Buffer.from(t.password), Buffer.from(t.user)]));
        const outer = md5(Buffer.concat([Buffer.from(inner), m.body.subarray(4, 8)]));
        c.write(pgMessage("p", Buffer.from(`md5${outer}\0`)));
      } else if (code === 10) {
        const mechs = m.body.subarray(4).toString("utf8").split("\0");
        if (!mechs.includes("SCRAM-SHA-256"))
          throw new ProbeError(`unsupported SASL mechanisms ${mechs}`, true);
        const nonce = randomBytes(18).toString("base64");
        scram = { firstBare: `n=*,r=${nonce}`, nonce };
        const first = Buffer.from(`n,,${scram.firstBare}`);
        const mech = Buffer.from("SCRAM-SHA-256\0");
        const len = Buffer.alloc(4);
        len.writeInt32BE(first.length);
        c.write(pgMessage("p", Buffer.concat([mech, len, first])));
      } else if (code === 11 && scram) {
        const serverFirst = m.body.subarray(4).toString("utf8");
        const a = Object.fromEntries(serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)]));
        if (!a.r?.startsWith(scram.nonce)) throw new ProbeError("SCRAM: bad server nonce", true);
        const salted = pbkdf2Sync(
          t.password.normalize("NFKC"),
          Buffer.from(a.s, "base64"),
          Number(a.i),
          32,
          "sha256",
        );
        const hmac = (k, d) => createHmac("sha256", k).update(d).digest();
        const clientKey = hmac(salted, "Client Key");
        const storedKey = createHash("sha256").update(clientKey).digest();
        const finalNoProof = `c=biws,r=${a.r}`;
        const sig = hmac(storedKey, `${scram.firstBare},${serverFirst},${finalNoProof}`);
        const proof = Buffer.from(clientKey.map((x, i) => x ^ sig[i])).toString("base64");
        c.write(pgMessage("p", Buffer.from(`${finalNoProof},p=${proof}`)));
      } else if (code === 12) {
        // SASLFinal: AuthenticationOk follows
      } else throw new ProbeError(`unsupported authentication request code ${code}`, true);
    }
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Prometheus: GET /-/ready answers 200 once the server has loaded its config and can scrape and query.

async function probePrometheus(t, timeoutMs) {
  const c = await session(t, timeoutMs, t.tls);
  try {
    c.write(`GET /-/ready HTTP/1.0\r\nHost: ${hostPort(t)}\r\n\r\n`);
    const status = await c.read(lineParser);
    if (!/^HTTP\/1\.[01] 200\b/.test(status)) throw new ProbeError(`GET /-/ready answered "${status}"`, true);
    return "ready (GET /-/ready 200)";
  } finally {
    c.close();
  }
}

const PROBES = {
  postgres: probePostgres,
  redis: probeRedis,
  nats: probeNats,
  kafka: probeKafka,
  prometheus: probePrometheus,
};

// ---------------------------------------------------------------------------------------------
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : SERVICES;
  const results = await probeAll(names);
  for (const r of results) console.log(JSON.stringify(r));
  process.exit(results.every((r) => r.reachable) ? 0 : 1);
}
