#!/usr/bin/env node
// Local services harness: Postgres, Redis, NATS (JetStream) and a single-node Kafka (KRaft).
// Plain Node 20 ESM, no npm dependencies.
//
//   node scripts/services/services.mjs up     [postgres|redis|nats|kafka ...]   (default: all four)
//   node scripts/services/services.mjs down   [--all] [names...]   (kafka only, unless --all)
//   node scripts/services/services.mjs status [names...]            (exit 0 iff all reachable)
//
// Settings: DATABASE_URL, REDIS_URL, NATS_URL, KAFKA_BROKERS (defaults in probe.mjs).
// `up` reuses a service that already answers; otherwise, for a local host with the server installed, starts it
// and waits until it answers (never a fixed sleep). Kafka is owned by the harness: jars resolved by Maven into
// .cache/services/kafka/libs, data in .cache/services/kafka/data, logs in .cache/services/kafka/logs,
// pid in .cache/services/kafka/kafka.pid. See scripts/services/kafka/README.md.

import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isLocalHost, probe, SERVICES, settings } from "./probe.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, "../..");
const envVar = (k) => process.env[k];
export const CACHE_DIR = envVar("SERVICES_CACHE_DIR")
  ? path.resolve(envVar("SERVICES_CACHE_DIR"))
  : path.join(REPO_ROOT, ".cache", "services");

const START_TIMEOUT_MS = { postgres: 30_000, redis: 15_000, nats: 15_000, kafka: 60_000 };
const STOP_TIMEOUT_MS = 30_000;
const NATS_STORE_DIR = "/var/lib/nats-server";

// ---------------------------------------------------------------------------------------------
// small utilities

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;

class ServiceError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status; // "missing" | "failed"
  }
}
const missing = (msg) => new ServiceError("missing", msg);
const failed = (msg) => new ServiceError("failed", msg);

export function which(cmd) {
  if (cmd.includes("/")) return isExecutable(cmd) ? cmd : null;
  const dirs = (process.env.PATH || "")
    .split(path.delimiter)
    .concat(["/usr/sbin", "/sbin", "/usr/local/sbin"]);
  for (const d of dirs) {
    const p = path.join(d, cmd);
    if (isExecutable(p)) return p;
  }
  return null;
}

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
  if (r.error) throw failed(`${cmd}: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout || ""}${r.stderr || ""}`.trim() };
}

/** Path relative to the repo root when inside it, absolute otherwise. */
const rel = (p) => (p.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, p) : p);

const lastLines = (text, n = 8) => text.trim().split("\n").slice(-n).join("\n");

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

function tcpOpen(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (v) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on("connect", () => done(true));
    s.on("error", () => done(false));
  });
}

async function waitUntil(fn, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() >= deadline) return null;
    await sleep(intervalMs);
  }
}

/** Waits until `name` answers; throws "failed" with the last probe reason. `alive()` aborts early if false. */
export async function waitReady(
  name,
  env = process.env,
  timeoutMs = START_TIMEOUT_MS[name],
  alive = () => true,
) {
  let last;
  const ok = await waitUntil(async () => {
    last = await probe(name, env, { timeoutMs: 2000 });
    if (last.reachable) return last;
    if (!alive()) throw failed(`process exited while starting (${last.reason})`);
    return null;
  }, timeoutMs);
  if (!ok) throw failed(`did not answer within ${secs(timeoutMs)}: ${last.reason}`);
  return ok;
}

/** Waits until `name` stops answering. */
export async function waitGone(name, env = process.env, timeoutMs = STOP_TIMEOUT_MS) {
  const ok = await waitUntil(async () => !(await probe(name, env, { timeoutMs: 1000 })).answered, timeoutMs);
  if (!ok) throw failed(`still answering ${secs(timeoutMs)} after stop`);
}

function target(name, env) {
  const s = settings(name, env);
  return { s, t: s.targets[0] };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL (Debian postgresql-common cluster)

function pgCluster(port) {
  if (!which("pg_ctlcluster")) {
    throw missing(
      "pg_ctlcluster not found: apt-get install postgresql, or set DATABASE_URL to a reachable server",
    );
  }
  let versions = [];
  try {
    versions = fs
      .readdirSync("/etc/postgresql")
      .filter((v) => fs.existsSync(`/etc/postgresql/${v}/main/postgresql.conf`))
      .sort((a, b) => Number(b) - Number(a));
  } catch {}
  if (!versions.length) {
    throw missing(
      "no cluster in /etc/postgresql/*/main: apt-get install postgresql (creates one), or set DATABASE_URL",
    );
  }
  const portOf = (v) => {
    const m = fs
      .readFileSync(`/etc/postgresql/${v}/main/postgresql.conf`, "utf8")
      .match(/^\s*port\s*=\s*(\d+)/m);
    return m ? Number(m[1]) : 5432;
  };
  return versions.find((v) => portOf(v) === port) || versions[0];
}

const postgres = {
  start(t) {
    const v = pgCluster(t.port);
    const r = run("pg_ctlcluster", ["--skip-systemctl-redirect", v, "main", "start"]);
    // exit 2 = "Cluster is already running"
    if (r.status !== 0 && r.status !== 2) throw failed(`pg_ctlcluster ${v} main start: ${lastLines(r.out)}`);
    return `cluster ${v}/main`;
  },
  stop(t) {
    const v = pgCluster(t.port);
    const r = run("pg_ctlcluster", ["--skip-systemctl-redirect", v, "main", "stop"]);
    if (r.status !== 0 && r.status !== 2) throw failed(`pg_ctlcluster ${v} main stop: ${lastLines(r.out)}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Redis: no periodic saves (--save "" --appendonly no), but a restart keeps the data like a production
// Redis with persistence would: stop is SHUTDOWN SAVE and start loads the dump from the same --dir.

const redisDirFile = () => path.join(CACHE_DIR, "redis", "dir");

function redisCli(t, args) {
  if (!which("redis-cli")) throw missing("redis-cli not found: apt-get install redis-tools");
  const base = ["-h", t.host, "-p", String(t.port)];
  if (t.user && t.user !== "default") base.push("--user", t.user);
  const env = { ...process.env };
  if (t.password) env.REDISCLI_AUTH = t.password; // not on the command line
  return run("redis-cli", [...base, ...args], { env });
}

const redis = {
  start(t) {
    if (!which("redis-server")) {
      throw missing(
        "redis-server not found: apt-get install redis-server, or set REDIS_URL to a reachable server",
      );
    }
    // The directory the last stop saved into (so the dump is found), else the harness's own.
    const saved = fs.existsSync(redisDirFile()) ? fs.readFileSync(redisDirFile(), "utf8").trim() : "";
    const dir = saved || path.join(CACHE_DIR, "redis");
    fs.mkdirSync(dir, { recursive: true });
    const bind = t.host === "localhost" ? "127.0.0.1" : t.host;
    const args = ["--daemonize", "yes", "--bind", bind, "--port", String(t.port), "--dir", dir];
    args.push("--save", "", "--appendonly", "no");
    if (t.password) args.push("--requirepass", t.password);
    const r = run("redis-server", args);
    if (r.status !== 0) throw failed(`redis-server: ${lastLines(r.out)}`);
    return "redis-server --daemonize yes";
  },
  stop(t) {
    const dir = redisCli(t, ["--raw", "config", "get", "dir"]).out.split("\n")[1]?.trim();
    if (dir) {
      fs.mkdirSync(path.dirname(redisDirFile()), { recursive: true });
      fs.writeFileSync(redisDirFile(), dir);
    }
    // A successful SHUTDOWN closes the connection, so redis-cli may print an error: callers probe instead.
    return redisCli(t, ["shutdown", "save"]);
  },
};

// ---------------------------------------------------------------------------------------------
// NATS with JetStream (store in /var/lib/nats-server survives restarts)

function natsBin() {
  const bin = isExecutable("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : which("nats-server");
  if (!bin)
    throw missing(
      "nats-server not found: apt-get install nats-server, or set NATS_URL to a reachable server",
    );
  return bin;
}

const nats = {
  start(t) {
    const bin = natsBin();
    const dir = path.join(CACHE_DIR, "nats");
    // JetStream store: the machine's usual dir for the default port; never share one between two servers
    const store = t.port === 4222 ? NATS_STORE_DIR : path.join(dir, `store-${t.port}`);
    fs.mkdirSync(store, { recursive: true });
    fs.mkdirSync(dir, { recursive: true });
    const log = path.join(dir, `nats-${t.port}.log`);
    const host = t.host === "localhost" ? "127.0.0.1" : t.host;
    const args = ["-a", host, "-p", String(t.port), "-js", "-sd", store, "-l", log];
    if (t.user && t.password) args.push("--user", t.user, "--pass", t.password);
    else if (t.user) args.push("--auth", t.user);
    if (which("start-stop-daemon")) {
      const pidfile = path.join(dir, `nats-${t.port}.pid`);
      const ssd = [
        "--start",
        "--oknodo",
        "--background",
        "--make-pidfile",
        "--pidfile",
        pidfile,
        "--exec",
        bin,
      ];
      const r = run("start-stop-daemon", [...ssd, "--", ...args]);
      if (r.status !== 0) throw failed(`start-stop-daemon nats-server: ${lastLines(r.out)}`);
    } else {
      spawn(bin, args, { detached: true, stdio: "ignore" }).unref();
    }
    return `store ${store}, log ${rel(log)}`;
  },
  stop(t) {
    const bin = natsBin();
    if (which("start-stop-daemon")) {
      // the server this harness started for that port (pid file), else every local nats-server
      const pidfile = path.join(CACHE_DIR, "nats", `nats-${t.port}.pid`);
      const ours = run("start-stop-daemon", ["--status", "--pidfile", pidfile, "--exec", bin]).status === 0;
      const match = ours ? ["--pidfile", pidfile, "--exec", bin] : ["--exec", bin];
      const r = run("start-stop-daemon", ["--stop", "--oknodo", "--retry", "TERM/10/KILL/5", ...match]);
      if (r.status !== 0) throw failed(`start-stop-daemon --stop nats-server: ${lastLines(r.out)}`);
    } else {
      run("pkill", ["-x", "nats-server"]);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Kafka (harness-owned, single node KRaft: broker on PORT, controller on PORT+1)

export function kafkaPaths() {
  const dir = path.join(CACHE_DIR, "kafka");
  return {
    dir,
    libs: path.join(dir, "libs"),
    data: path.join(dir, "data"),
    logs: path.join(dir, "logs"),
    pidFile: path.join(dir, "kafka.pid"),
    lockFile: path.join(dir, "kafka.lock"),
    props: path.join(dir, "server.properties"),
    pom: path.join(HERE, "kafka", "pom.xml"),
    template: path.join(HERE, "kafka", "server.properties.template"),
    log4j: path.join(HERE, "kafka", "log4j2.properties"),
  };
}

export function kafkaVersion() {
  const m = fs.readFileSync(kafkaPaths().pom, "utf8").match(/<kafka\.version>([^<]+)<\/kafka\.version>/);
  return m ? m[1] : "?";
}

function javaBin() {
  const java = envVar("JAVA_HOME") ? path.join(envVar("JAVA_HOME"), "bin", "java") : which("java");
  if (!java || !isExecutable(java)) {
    throw missing(
      "java not found (Kafka needs Java 17+): apt-get install openjdk-17-jre-headless, or set KAFKA_BROKERS",
    );
  }
  const r = spawnSync(java, ["-version"], { encoding: "utf8" });
  const m = `${r.stderr}${r.stdout}`.match(/version "(\d+)(?:\.(\d+))?/);
  const major = m ? (m[1] === "1" ? Number(m[2]) : Number(m[1])) : 0;
  if (major < 17) {
    throw missing(
      `${java} is Java ${major || "?"}; Kafka ${kafkaVersion()} needs 17+: apt-get install openjdk-17-jre-headless`,
    );
  }
  return java;
}

/** Reads the harness-owned Kafka pid if that process is alive (and is a Kafka JVM where /proc tells). */
export function kafkaPid() {
  const { pidFile } = kafkaPaths();
  let pid;
  try {
    pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  } catch {
    return null;
  }
  if (!pid || !pidAlive(pid)) return null;
  try {
    if (!fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("kafka.Kafka")) return null;
  } catch {}
  return pid;
}

function resolveKafkaJars(p) {
  const pomHash = createHash("sha256").update(fs.readFileSync(p.pom)).digest("hex");
  const marker = path.join(p.libs, ".resolved");
  if (fs.existsSync(marker) && fs.readFileSync(marker, "utf8").trim() === pomHash) return false;
  if (!which("mvn")) {
    throw missing(
      `mvn not found (needed once to fetch the Kafka ${kafkaVersion()} jars): apt-get install maven`,
    );
  }
  fs.rmSync(p.libs, { recursive: true, force: true });
  const r = run("mvn", [
    "-q",
    "-B",
    "-f",
    p.pom,
    "dependency:copy-dependencies",
    `-DoutputDirectory=${p.libs}`,
  ]);
  if (r.status !== 0) throw failed(`mvn dependency:copy-dependencies failed:\n${lastLines(r.out, 15)}`);
  fs.writeFileSync(marker, `${pomHash}\n`);
  return true;
}

function writeKafkaProps(p, t) {
  const text = fs
    .readFileSync(p.template, "utf8")
    .replaceAll("@HOST@", t.host === "localhost" ? "127.0.0.1" : t.host)
    .replaceAll("@PORT@", String(t.port))
    .replaceAll("@CONTROLLER_PORT@", String(t.port + 1))
    .replaceAll("@DATA_DIR@", p.data);
  fs.writeFileSync(p.props, text);
}

function kafkaListenerPort(p) {
  try {
    const m = fs.readFileSync(p.props, "utf8").match(/^listeners=PLAINTEXT:\/\/[^,\n]*:(\d+)/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function kafkaJvmArgs(p) {
  return [
    ...[
      "-Xms256m",
      "-Xmx512m",
      "-XX:+UseG1GC",
      "-XX:MaxGCPauseMillis=20",
      "-XX:InitiatingHeapOccupancyPercent=35",
    ],
    ...["-XX:+ExplicitGCInvokesConcurrent", "-Djava.awt.headless=true"],
    `-Dkafka.logs.dir=${p.logs}`,
    `-Dlog4j2.configurationFile=${p.log4j}`,
    "-cp",
    path.join(p.libs, "*"),
  ];
}

function formatKafkaStorage(p, java) {
  if (fs.existsSync(path.join(p.data, "meta.properties"))) return false;
  let id;
  do id = randomBytes(16).toString("base64url");
  while (id.startsWith("-"));
  fs.mkdirSync(p.data, { recursive: true });
  const r = run(java, [...kafkaJvmArgs(p), "kafka.tools.StorageTool", "format", "-t", id, "-c", p.props]);
  if (r.status !== 0) throw failed(`kafka-storage format failed:\n${lastLines(r.out)}`);
  return true;
}

function kafkaLogHint(p) {
  let tail = "";
  for (const f of ["stdout.log", "server.log"]) {
    try {
      const lines = fs.readFileSync(path.join(p.logs, f), "utf8").split("\n");
      const errs = lines.filter((l) => /ERROR|FATAL|Exception|Error:/.test(l)).slice(-4);
      if (errs.length) tail += `\n  ${f}: ${errs.join("\n  ")}`;
    } catch {}
  }
  return `${tail}\n  logs: ${rel(p.logs)}/`;
}

/** Cross-process lock so parallel `up`/`restart` calls don't start two brokers. */
async function withKafkaLock(fn) {
  const p = kafkaPaths();
  fs.mkdirSync(p.dir, { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.writeFileSync(p.lockFile, String(process.pid), { flag: "wx" });
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      const holder = Number(fs.readFileSync(p.lockFile, "utf8").trim() || 0);
      if (!holder || !pidAlive(holder)) fs.rmSync(p.lockFile, { force: true });
      else if (Date.now() > deadline) throw failed(`lock ${p.lockFile} held by pid ${holder}`);
      else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(p.lockFile, { force: true });
  }
}

const kafka = {
  async start(t, env) {
    const p = kafkaPaths();
    return withKafkaLock(async () => {
      // another process may have started it while we waited for the lock
      const now = await probe("kafka", env);
      if (now.reachable) return { status: "reused", detail: `${now.detail} (started by a concurrent call)` };
      const running = kafkaPid();
      if (running) {
        const port = kafkaListenerPort(p);
        if (port && port !== t.port) {
          throw failed(
            `the harness broker (pid ${running}) listens on port ${port}, not ${t.port}: run \`down kafka\` first`,
          );
        }
        await waitReady("kafka", env, START_TIMEOUT_MS.kafka, () => pidAlive(running));
        return `pid ${running} (was already starting)`;
      }
      const java = javaBin();
      for (const port of [t.port, t.port + 1]) {
        if (await tcpOpen(t.host, port)) {
          throw failed(
            `port ${port} is taken by something that is not a Kafka broker started by this harness`,
          );
        }
      }
      fs.mkdirSync(p.logs, { recursive: true });
      const steps = [];
      let t0 = Date.now();
      if (resolveKafkaJars(p)) steps.push(`mvn ${secs(Date.now() - t0)}`);
      writeKafkaProps(p, t);
      t0 = Date.now();
      if (formatKafkaStorage(p, java)) steps.push(`format ${secs(Date.now() - t0)}`);
      t0 = Date.now();
      const out = fs.openSync(path.join(p.logs, "stdout.log"), "a");
      const child = spawn(java, [...kafkaJvmArgs(p), "kafka.Kafka", p.props], {
        cwd: p.dir,
        detached: true,
        stdio: ["ignore", out, out],
      });
      fs.closeSync(out);
      let exited = false;
      child.on("exit", () => {
        exited = true;
      });
      child.unref();
      fs.writeFileSync(p.pidFile, `${child.pid}\n`);
      try {
        await waitReady("kafka", env, START_TIMEOUT_MS.kafka, () => !exited);
      } catch (e) {
        if (exited) fs.rmSync(p.pidFile, { force: true });
        throw failed(`${e.message}${kafkaLogHint(p)}`);
      }
      steps.push(`broker ${secs(Date.now() - t0)}`);
      return `Kafka ${kafkaVersion()} pid ${child.pid} (${steps.join(", ")})`;
    });
  },
  /** Stops the harness-owned broker; returns false if it wasn't running. */
  async stop() {
    const p = kafkaPaths();
    const pid = kafkaPid();
    if (!pid) {
      fs.rmSync(p.pidFile, { force: true });
      return false;
    }
    process.kill(pid, "SIGTERM"); // controlled shutdown
    if (!(await waitUntil(() => !pidAlive(pid), STOP_TIMEOUT_MS, 100))) {
      process.kill(pid, "SIGKILL");
      await waitUntil(() => !pidAlive(pid), 10_000, 100);
    }
    fs.rmSync(p.pidFile, { force: true });
    return true;
  },
};

const IMPL = { postgres, redis, nats, kafka };

// ---------------------------------------------------------------------------------------------
// public API

/** Starts one local service (no-op if it answers) and waits until it answers. */
export async function startService(name, env = process.env) {
  const { t } = target(name, env);
  const before = await probe(name, env);
  if (before.reachable) return { status: "reused", detail: before.detail };
  if (before.answered && /57P03|LOADING/.test(before.reason)) {
    // postgres "starting up" / redis "loading the dataset": it is coming, wait for it
    return { status: "reused", detail: (await waitReady(name, env)).detail };
  }
  if (!isLocalHost(t.host)) {
    throw failed(`${before.reason}; host is not local, so the harness won't start it`);
  }
  if (before.answered && name !== "kafka") {
    throw failed(
      `${before.reason} (something answers on ${before.where} but the check failed; not starting another)`,
    );
  }
  if (before.answered && name === "kafka" && !kafkaPid()) {
    throw failed(`${before.reason} (something answers on ${before.where}; not starting another)`);
  }
  const t0 = Date.now();
  const how = await IMPL[name].start(t, env);
  if (typeof how === "object") return how;
  const ready = name === "kafka" ? null : await waitReady(name, env);
  return {
    status: "started",
    detail: `${how}${ready ? `; ${ready.detail}` : ""} in ${secs(Date.now() - t0)}`,
  };
}

/** Stops one local service and waits until it no longer answers. */
export async function stopService(name, env = process.env) {
  const { t } = target(name, env);
  if (name === "kafka") {
    const stopped = await kafka.stop();
    return stopped ? "stopped" : "not-running";
  }
  if (!isLocalHost(t.host)) throw failed(`host ${t.host} is not local; not stopping it`);
  if (!(await probe(name, env, { timeoutMs: 1000 })).answered) return "not-running";
  await IMPL[name].stop(t, env);
  await waitGone(name, env);
  return "stopped";
}

function printLine(name, status, where, text) {
  console.log(`${name.padEnd(9)} ${status.padEnd(11)} ${where.padEnd(16)} ${text || ""}`.trimEnd());
}

export async function up(names = SERVICES, env = process.env) {
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  // postgres/redis/nats start in parallel; kafka (slow JVM) alongside them
  const results = await Promise.all(
    names.map(async (name) => {
      const where = target(name, env).t;
      const w = `${where.host}:${where.port}`;
      try {
        const r = await startService(name, env);
        return { name, status: r.status, where: w, text: r.detail };
      } catch (e) {
        if (!(e instanceof ServiceError)) throw e;
        return { name, status: e.status, where: w, text: e.message };
      }
    }),
  );
  for (const r of results) printLine(r.name, r.status, r.where, r.text);
  return results;
}

export async function down(names = SERVICES, { all = false } = {}, env = process.env) {
  const results = [];
  for (const name of names) {
    const { t } = target(name, env);
    const w = `${t.host}:${t.port}`;
    try {
      if (name === "kafka") {
        const st = await stopService(name, env);
        const still = st === "not-running" && (await probe(name, env, { timeoutMs: 1000 })).answered;
        results.push({
          name,
          status: st,
          where: w,
          text: still ? "a broker answers there but has no pid file here" : "",
        });
      } else if (!all) {
        results.push({
          name,
          status: "left",
          where: w,
          text: "not owned by the harness (use `down --all` to stop it)",
        });
      } else {
        results.push({ name, status: await stopService(name, env), where: w });
      }
    } catch (e) {
      if (!(e instanceof ServiceError)) throw e;
      results.push({ name, status: e.status, where: w, text: e.message });
    }
  }
  for (const r of results) printLine(r.name, r.status, r.where, r.text);
  return results;
}

export async function status(names = SERVICES, env = process.env) {
  const results = await Promise.all(names.map((n) => probe(n, env)));
  for (const r of results) {
    let extra = r.reachable ? r.detail : r.reason;
    if (r.name === "kafka" && kafkaPid()) extra += ` [harness pid ${kafkaPid()}]`;
    printLine(r.name, r.reachable ? "reachable" : "unreachable", r.where, extra);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main(argv) {
  const [cmd, ...rest] = argv;
  const flags = rest.filter((a) => a.startsWith("-"));
  const names = rest.filter((a) => !a.startsWith("-"));
  for (const n of names) {
    if (!SERVICES.includes(n)) {
      console.error(`unknown service "${n}" (expected: ${SERVICES.join(" ")})`);
      return 2;
    }
  }
  const list = names.length ? names : SERVICES;
  if (cmd === "up") {
    const rs = await up(list);
    return rs.every((r) => r.status === "reused" || r.status === "started") ? 0 : 1;
  }
  if (cmd === "down") {
    const rs = await down(list, { all: flags.includes("--all") });
    return rs.some((r) => r.status === "failed" || r.status === "missing") ? 1 : 0;
  }
  if (cmd === "status") {
    const rs = await status(list);
    return rs.every((r) => r.reachable) ? 0 : 1;
  }
  console.error(
    "usage: node scripts/services/services.mjs up|down [--all]|status [postgres|redis|nats|kafka ...]",
  );
  return 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
