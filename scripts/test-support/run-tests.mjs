#!/usr/bin/env node
// `pnpm test`: every package's tests through turbo, one package at a time, framed by three checks.
//   before: probes every backend. With CI=true, any that does not answer fails the run at once, all of
//           them named in one message; without CI, the ones missing are listed and their suites skip.
//   after:  one summary of what was skipped and why (the suites note it in PRISM_TEST_RUN_DIR), and a
//           check that the servers on the usual ports (the machine's own) were neither stopped nor
//           restarted during the run.
// Arguments go to turbo, e.g. `pnpm test -- --filter @prism/driver-redis`.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT, SERVICES } from "../services/instances.mjs";
import { probe, settings } from "../services/probe.mjs";
import { changes, describeSnapshot, snapshot } from "../services/system-servers.mjs";
import { RUN_DIR_VARIABLE, readSkips, summarise } from "./skips.mjs";

const ci = process.env.CI === "true" || process.env.CI === "1";
const args = process.argv.slice(2).filter((arg) => arg !== "--");

const results = await Promise.all(SERVICES.map((name) => probe(name, process.env, { timeoutMs: 3000 })));
const unreachable = results.filter((result) => !result.reachable);
if (unreachable.length > 0) {
  const lines = unreachable.map((result) => `  ${result.name.padEnd(9)} ${result.reason}`);
  const anyPrivate = unreachable.some((result) => !settings(result.name).fromEnvironment);
  const fix = anyPrivate
    ? "Start this checkout's servers with `pnpm services:up`, or point the variables at running servers."
    : "Start those servers, or unset the variables to use this checkout's own (`pnpm services:up`).";
  if (ci) {
    console.error(
      `CI=true: ${unreachable.length} of the ${SERVICES.length} backends the tests need do not answer, ` +
        `so nothing was run:\n${lines.join("\n")}\n${fix}`,
    );
    process.exit(1);
  }
  console.warn(`Not reachable, so their integration tests will be skipped:\n${lines.join("\n")}\n${fix}\n`);
}

const runDir = path.join(REPO_ROOT, ".cache", "test-runs", `${Date.now()}-${process.pid}`);
fs.mkdirSync(runDir, { recursive: true });
const systemBefore = snapshot();
const turbo = path.join(REPO_ROOT, "node_modules", ".bin", "turbo");
const exitCode = await new Promise((resolve, reject) => {
  const child = spawn(turbo, ["run", "test", "--concurrency=1", ...args], {
    stdio: "inherit",
    env: { ...process.env, [RUN_DIR_VARIABLE]: runDir },
  });
  child.once("error", reject);
  child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
});

const skipped = summarise(readSkips(runDir));
fs.rmSync(runDir, { recursive: true, force: true });
console.log("");
if (skipped.length === 0) console.log("Skipped: nothing — every integration suite ran against its server.");
else console.log(`Skipped (${skipped.length}):\n${skipped.map((line) => `  ${line}`).join("\n")}`);

const changed = changes(systemBefore, snapshot());
if (changed.length > 0) {
  console.error(
    `\nA server on a usual port was stopped, restarted or replaced during the tests:\n${changed
      .map((line) => `  ${line}`)
      .join("\n")}\nThe tests must only ever restart this checkout's own servers (pnpm services:up).`,
  );
  process.exit(1);
}
console.log(
  `Servers on the usual ports, untouched by the run:\n  ${describeSnapshot(systemBefore).join("\n  ")}`,
);
process.exit(exitCode);
