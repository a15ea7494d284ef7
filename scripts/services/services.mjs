#!/usr/bin/env node
// This checkout's own servers for the tests, examples and benchmarks: PostgreSQL, Redis, NATS with
// JetStream, a single-node Kafka and Prometheus (which scrapes the CLI in its end-to-end test), each on its own port (instances.mjs) with its own data directory,
// pid file and log under .cache/services/<name>, run from the binaries installed on the machine.
// It never starts, stops or restarts any other server, whatever answers on the usual ports.
//
//   node scripts/services/services.mjs up     [postgres|redis|nats|kafka|prometheus ...]   (default: all)
//   node scripts/services/services.mjs down   [names...]
//   node scripts/services/services.mjs status [names...]   (exit 0 iff every server the tests use answers)
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { instance, PORT_VARIABLES, SERVICES, URL_VARIABLES } from "./instances.mjs";
import { kafka, kafkaVersion } from "./kafka.mjs";
import { nats } from "./nats.mjs";
import { postgres } from "./postgres.mjs";
import { probe, settings } from "./probe.mjs";
import {
  failed,
  logHint,
  pidAlive,
  rel,
  ServiceError,
  secs,
  sleep,
  stopProcess,
  tcpOpen,
  waitUntil,
} from "./processes.mjs";
import { prometheus } from "./prometheus.mjs";
import { redis } from "./redis.mjs";

export { kafkaVersion };

const servers = { postgres, redis, nats, kafka, prometheus };
const startTimeoutMs = { postgres: 30_000, redis: 15_000, nats: 15_000, kafka: 90_000, prometheus: 30_000 };
const stopTimeoutMs = 30_000;

/** The port the running instance was started on (it may differ from what the environment now says). */
const portFile = (inst) => path.join(inst.dir, "port");
function startedOnPort(inst) {
  try {
    return Number(fs.readFileSync(portFile(inst), "utf8").trim());
  } catch {
    return null;
  }
}

/** The pid of this checkout's server, or null when it does not run. */
export function privatePid(name, env = process.env) {
  return servers[name].pid(instance(name, env));
}

/** Probes this checkout's instance, whatever DATABASE_URL & co. say. */
function probeInstance(name, inst, timeoutMs) {
  return probe(name, { [URL_VARIABLES[name]]: inst.url }, { timeoutMs });
}

async function waitReady(name, inst, exited) {
  let last;
  const log = () => logHint(servers[name].logFile(inst));
  const ready = await waitUntil(async () => {
    last = await probeInstance(name, inst, 2000);
    if (last.reachable) return last;
    if (exited()) throw failed(`exited while starting (${last.reason})${log()}`);
    return null;
  }, startTimeoutMs[name]);
  if (!ready) throw failed(`did not answer within ${secs(startTimeoutMs[name])}: ${last.reason}${log()}`);
  return ready;
}

/** One start at a time per instance, across processes (a test restarting it while `up` runs). */
async function withStartLock(inst, start) {
  const lock = path.join(inst.dir, "start.lock");
  fs.mkdirSync(inst.dir, { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      const holder = Number(fs.readFileSync(lock, "utf8").trim() || 0);
      if (!holder || !pidAlive(holder)) fs.rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw failed(`${rel(lock)} is held by pid ${holder}`);
      else await sleep(200);
    }
  }
  try {
    return await start();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function portTaken(name, inst, port) {
  return (
    `${inst.host}:${port} is in use by something that is not this checkout's ${name} (another checkout's ` +
    `services, or another program). Give this checkout other ports: ${PORT_VARIABLES[name]}=${inst.port + 100} ` +
    "pnpm services:up, with the same variable set for pnpm test"
  );
}

/** Starts this checkout's server (or finds it running) and waits until it answers. */
export async function startService(name, env = process.env) {
  const inst = instance(name, env);
  const server = servers[name];
  return withStartLock(inst, async () => {
    const pid = server.pid(inst);
    if (pid) {
      const port = startedOnPort(inst);
      if (port !== null && port !== inst.port) {
        throw failed(
          `this checkout's ${name} (pid ${pid}) listens on port ${port}, not ${inst.port}: services:down ${name} first`,
        );
      }
      const ready = await waitReady(name, inst, () => !pidAlive(pid));
      return { status: "running", detail: `pid ${pid}, ${ready.detail}` };
    }
    for (const port of name === "kafka" ? [inst.port, inst.port + 1] : [inst.port]) {
      if (await tcpOpen(inst.host, port)) throw failed(portTaken(name, inst, port));
    }
    const t0 = Date.now();
    const { child, detail } = await server.start(inst, env);
    let exited = false;
    child?.once("exit", () => {
      exited = true;
    });
    fs.writeFileSync(portFile(inst), `${inst.port}\n`);
    const ready = await waitReady(name, inst, () => exited);
    const took = secs(Date.now() - t0);
    return { status: "started", detail: `pid ${server.pid(inst)}, ${ready.detail}; ${detail}; ${took}` };
  });
}

/** Stops this checkout's server; "not-running" when it was not. */
export async function stopService(name, env = process.env) {
  const inst = instance(name, env);
  const pid = servers[name].pid(inst);
  if (!pid) return "not-running";
  await stopProcess(pid, servers[name].stopSignal, stopTimeoutMs);
  return "stopped";
}

function printLine(name, status, where, text = "") {
  console.log(`${name.padEnd(9)} ${status.padEnd(11)} ${where.padEnd(16)} ${text}`.trimEnd());
}

/** Points out the *_URL variables that send the tests elsewhere, so nobody is surprised. */
function printOverrides(names, env) {
  for (const name of names) {
    const config = settings(name, env);
    if (config.fromEnvironment) {
      console.log(
        `${"".padEnd(9)} note: ${config.envVar} is set, so tests use ${config.url}, not this instance`,
      );
    }
  }
}

export async function up(names = SERVICES, env = process.env) {
  const results = await Promise.all(
    names.map(async (name) => {
      const inst = instance(name, env);
      const where = `${inst.host}:${inst.port}`;
      try {
        return { name, where, ...(await startService(name, env)) };
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        return { name, where, status: error.status, detail: error.message };
      }
    }),
  );
  for (const r of results) printLine(r.name, r.status, r.where, r.detail);
  printOverrides(names, env);
  return results;
}

export async function down(names = SERVICES, env = process.env) {
  const results = await Promise.all(
    names.map(async (name) => {
      const inst = instance(name, env);
      return { name, where: `${inst.host}:${inst.port}`, status: await stopService(name, env) };
    }),
  );
  for (const r of results) printLine(r.name, r.status, r.where);
  return results;
}

export async function status(names = SERVICES, env = process.env) {
  const results = await Promise.all(
    names.map(async (name) => {
      const inst = instance(name, env);
      const pid = servers[name].pid(inst);
      const answer = pid ? await probeInstance(name, inst, 2000) : undefined;
      const used = settings(name, env).fromEnvironment ? await probe(name, env) : answer;
      return { name, inst, pid, answer, used, reachable: used?.reachable === true };
    }),
  );
  for (const { name, inst, pid, answer } of results) {
    const state = !pid ? "stopped" : answer?.reachable ? "running" : "unhealthy";
    const text = pid ? `pid ${pid}, ${answer?.reachable ? answer.detail : answer?.reason}` : "";
    printLine(name, state, `${inst.host}:${inst.port}`, `${text}${text ? "; " : ""}files ${rel(inst.dir)}`);
  }
  for (const { name, used } of results) {
    if (settings(name, env).fromEnvironment) {
      const how = used.reachable ? `answers (${used.detail})` : `does not answer: ${used.reason}`;
      console.log(
        `${"".padEnd(9)} note: ${URL_VARIABLES[name]} is set, so tests use ${used.url}, which ${how}`,
      );
    }
  }
  return results;
}

async function main(argv) {
  const [command, ...names] = argv;
  for (const name of names) {
    if (!SERVICES.includes(name)) {
      console.error(`unknown service "${name}" (expected: ${SERVICES.join(" ")})`);
      return 2;
    }
  }
  const list = names.length > 0 ? names : SERVICES;
  if (command === "up") {
    const results = await up(list);
    return results.every((r) => r.status === "running" || r.status === "started") ? 0 : 1;
  }
  if (command === "down") {
    await down(list);
    return 0;
  }
  if (command === "status") {
    const results = await status(list);
    return results.every((r) => r.reachable) ? 0 : 1;
  }
  console.error(`usage: node scripts/services/services.mjs up|down|status [${SERVICES.join("|")} ...]`);
  return 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
