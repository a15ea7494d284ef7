// Shared by the test suites: which server a suite talks to, whether it answers, and whether the suite may
// restart it. By default that is this checkout's private instance (`pnpm services:up`); DATABASE_URL,
// REDIS_URL, NATS_URL or KAFKA_BROKERS point a suite at another server, which the suite then never
// restarts unless PRISM_RESTART_<SERVICE> gives a command for it (saying it is disposable).
// An unreachable server skips its suites loudly (and into the summary at the end of `pnpm test`); with
// CI=true it fails them instead, and so does a restart test that would be skipped.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { instance } from "../services/instances.mjs";
import { isLocalHost, probe, settings } from "../services/probe.mjs";
import { waitUntil, which } from "../services/processes.mjs";
import { targetsDir } from "../services/prometheus.mjs";
import { restart } from "../services/restart.mjs";
import { privatePid } from "../services/services.mjs";
import { recordSkip } from "./skips.mjs";

const required = () => process.env.CI === "true" || process.env.CI === "1";

/** The variable whose command restarts a server this checkout did not start, e.g. PRISM_RESTART_REDIS. */
export const restartVariable = (name) => `PRISM_RESTART_${name.toUpperCase()}`;

function skip(name, what, reason) {
  if (required())
    throw new Error(`${name} ${what}: ${reason} CI=true: integration tests must not be skipped.`);
  console.warn(`\n!!! SKIPPING the ${name} ${what}: ${reason}\n`);
  recordSkip({ backend: name, what, reason });
}

/** Runs the user's restart command, then waits (up to a minute) until the server answers again. */
async function runRestartCommand(name, command) {
  const exitCode = await new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { stdio: ["ignore", "inherit", "inherit"] });
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (exitCode !== 0) throw new Error(`${restartVariable(name)} exited with code ${exitCode}`);
  const ready = await waitUntil(
    async () => (await probe(name, process.env, { timeoutMs: 2000 })).reachable,
    60_000,
  );
  if (!ready) throw new Error(`${name} did not answer within 60 s after ${restartVariable(name)}`);
}

function restarterFor(name, config) {
  const target = config.targets[0];
  const inst = instance(name);
  const ours = target && isLocalHost(target.host) && target.port === inst.port && privatePid(name) !== null;
  if (ours) return async () => void (await restart(name));
  const command = process.env[restartVariable(name)]?.trim();
  if (command) return () => runRestartCommand(name, command);
  skip(
    name,
    "restart tests",
    `${config.envVar}=${config.url} is not a server this checkout started, so they would restart someone ` +
      `else's server. Set ${restartVariable(name)} to a command that restarts it, if it is disposable.`,
  );
  return undefined;
}

/**
 * Probes the server a suite uses for `name` and returns its connection URL (the variable's, or this
 * checkout's private instance) and whether it answers.
 * @returns {Promise<import("./backends.d.mts").Backend>}
 */
export async function backend(name) {
  const config = settings(name);
  const result = await probe(name);
  const urls = { url: config.raw, redactedUrl: config.url };
  if (!result.reachable) {
    const fix = config.fromEnvironment
      ? `Start it, or unset ${config.envVar} to use this checkout's own (pnpm services:up).`
      : `Start it with \`pnpm services:up\`, or point ${config.envVar} at a running server.`;
    skip(name, "integration tests", `not reachable (${result.reason}). ${fix}`);
    return { available: false, ...urls, reason: result.reason, restarter: () => undefined };
  }
  let restarter;
  return {
    available: true,
    ...urls,
    restarter: () => {
      restarter ??= { value: restarterFor(name, config) };
      return restarter.value;
    },
  };
}

/**
 * The path of a command-line tool some tests run (e.g. kcat, a producer we did not write), or undefined
 * after a loud skip (recorded for the summary; under CI=true it throws instead).
 */
export function tool(command, install) {
  const found = which(command);
  if (!found) skip(command, "tests", `${command} is not installed (${install}).`);
  return found ?? undefined;
}

/**
 * Makes this checkout's Prometheus scrape `targets` (host:port) with `labels` until the returned function
 * is called, by writing a file-based service discovery file. Undefined after a loud skip (throws under
 * CI=true) when PROMETHEUS_URL points at a Prometheus this checkout does not configure.
 */
export async function scrape(name, targets, labels) {
  const config = settings("prometheus");
  if (config.fromEnvironment) {
    skip(
      "prometheus",
      "scrape tests",
      `${config.envVar}=${config.url} is not this checkout's Prometheus, whose scrape targets the tests write.`,
    );
    return undefined;
  }
  const dir = targetsDir(instance("prometheus"));
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify([{ targets, labels }]));
  return () => fs.rmSync(file, { force: true });
}
