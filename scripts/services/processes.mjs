// Process helpers for the services harness: finding binaries, daemons and their pid files, waiting.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { REPO_ROOT } from "./instances.mjs";

/** A problem `up` reports per service: "missing" (install something) or "failed" (it would not start). */
export class ServiceError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}
export const missing = (message) => new ServiceError("missing", message);
export const failed = (message) => new ServiceError("failed", message);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;

/** Path relative to the repository when inside it, absolute otherwise. */
export const rel = (p) => (p.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, p) : p);

export const lastLines = (text, n = 8) => text.trim().split("\n").slice(-n).join("\n");

export function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The path of `command` on PATH (plus the sbin directories, where Debian puts nats-server). */
export function which(command) {
  if (command.includes("/")) return isExecutable(command) ? command : null;
  const dirs = (process.env.PATH || "")
    .split(path.delimiter)
    .concat(["/usr/sbin", "/sbin", "/usr/local/sbin"]);
  for (const dir of dirs) {
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/** Runs a command to completion; `out` is stdout and stderr together. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    ...options,
  });
  if (result.error) throw failed(`${command}: ${result.error.message}`);
  return { status: result.status, out: `${result.stdout || ""}${result.stderr || ""}`.trim() };
}

export function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/**
 * The pid in the first line of `pidFile` if that process is alive and (where /proc tells) its command line
 * contains `marker`, so a recycled pid is not mistaken for the server.
 */
export function livePid(pidFile, marker) {
  let pid;
  try {
    pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]?.trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return null;
  try {
    const commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    if (!commandLine.includes(marker)) return null;
  } catch {
    // No /proc (macOS): the live pid from our own pid file is the best evidence there is.
  }
  return pid;
}

/** Whether something accepts TCP connections on host:port. */
export function tcpOpen(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("connect", () => done(true));
    socket.on("error", () => done(false));
  });
}

/** Polls `check` until it returns something truthy (returned) or `timeoutMs` passes (null). */
export async function waitUntil(check, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() >= deadline) return null;
    await sleep(intervalMs);
  }
}

/** Sends `signal`, waits up to `timeoutMs` for the process to exit, then kills it. */
export async function stopProcess(pid, signal, timeoutMs) {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if (error.code === "ESRCH") return;
    throw error;
  }
  if (await waitUntil(() => !pidAlive(pid), timeoutMs, 100)) return;
  process.kill(pid, "SIGKILL");
  await waitUntil(() => !pidAlive(pid), 10_000, 100);
}

/** The ERROR/FATAL lines at the end of a log file, for a message about a server that would not start. */
export function logHint(file) {
  try {
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const errors = lines.filter((line) => /ERROR|FATAL|PANIC|Exception|Error:|\[ERR\]|# /.test(line));
    const shown = (errors.length > 0 ? errors : lines).filter(Boolean).slice(-4);
    return `${shown.map((line) => `\n  ${line}`).join("")}\n  log: ${rel(file)}`;
  } catch {
    return `\n  log: ${rel(file)} (not written)`;
  }
}
