import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built bin, as `npx prism-consumer` runs it. */
export const bin = path.resolve(here, "../dist/cli.js");
export const handler = path.resolve(here, "fixtures/handler.mjs");
/** The CLI runs from the package: drivers resolve from its node_modules (the config sits in a temp dir). */
const cwd = path.resolve(here, "..");

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "prism-cli-"));
}

export function writeConfig(dir: string, name: string, yaml: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** Lines a handler wrote to its output file (empty when it wrote none). */
export function processedLines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

export interface CliRun {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** The JSON log lines written so far. */
  readonly logs: () => Array<Record<string, unknown>>;
}

/** Starts `prism-consumer <args>` as a child process. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const logs = () =>
    stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { child, stdout: () => stdout, stderr: () => stderr, exited, logs };
}

/** Runs `prism-consumer <args>` to its end. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCli(args, env);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Polls `check` until it returns something truthy, or throws after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The port `run --http :0` listens on, from its log. */
export function httpPort(run: CliRun): Promise<number> {
  return waitFor("the CLI's HTTP port", () => {
    const line = run.logs().find((log) => String(log.msg).startsWith("serving /healthz"));
    return line ? Number(line.port) : undefined;
  });
}

/** GET on the CLI's endpoint: status and body (status 0 when nothing answers). */
export async function get(port: number, pathname: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${pathname}`);
    return { status: response.status, body: await response.text() };
  } catch {
    return { status: 0, body: "" };
  }
}
