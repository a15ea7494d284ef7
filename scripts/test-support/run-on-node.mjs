#!/usr/bin/env node
// `node scripts/test-support/run-on-node.mjs <major> [--skipped-suites]`: the Node matrix's part for one
// more Node version. Installs Node <major> from the npm registry (scripts/node/install.mjs) and runs, with
// it, every package's unit suites (tests under src/) and each driver's conformance kit
// (test/conformance.test.ts, short form: pnpm test ran it whole) against this checkout's servers. With
// --skipped-suites, a package whose `engines` rule out the Node this repository builds on (`pnpm test` skips it there, loudly)
// runs its whole suite instead. Prints how long each package and the whole part took.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const major = process.argv[2];
const skippedSuites = process.argv.slice(3).includes("--skipped-suites");
if (!major || !/^\d+$/.test(major)) {
  console.error(
    "usage: node scripts/test-support/run-on-node.mjs <major version> [--skipped-suites], e.g. 24",
  );
  process.exit(2);
}

const started = Date.now();
const installed = spawnSync(process.execPath, [path.join(root, "scripts/node/install.mjs"), major], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
});
if (installed.status !== 0) process.exit(installed.status ?? 1);
const node = installed.stdout.trim();
const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
console.log(`Node ${version} (${node}), installed in ${seconds(Date.now() - started)}`);

/** The lowest version `engines.node` allows, from its `>=x.y.z` part (what this repository writes). */
function minimumNode(pkg) {
  const match = /^\s*>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(pkg.engines?.node ?? "");
  return match ? match.slice(1).map((part) => Number(part ?? 0)) : [0, 0, 0];
}
const numbers = (text) => text.replace(/^v/, "").split(".").map(Number);
const atLeast = (have, need) => {
  for (let i = 0; i < 3; i++) if ((have[i] ?? 0) !== need[i]) return (have[i] ?? 0) > need[i];
  return true;
};

const failures = [];
const timings = [];
const packagesDir = path.join(root, "packages");
for (const name of fs.readdirSync(packagesDir).sort()) {
  const dir = path.join(packagesDir, name);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const need = minimumNode(pkg);
  if (!atLeast(numbers(version), need)) {
    console.log(`\n${pkg.name}: skipped, it needs Node >= ${need.join(".")}`);
    continue;
  }
  // Suites the build machine's Node cannot run were skipped by `pnpm test`: all of them run here if asked.
  const whole = skippedSuites && !atLeast(numbers(process.version), need);
  const filters = whole ? [] : ["src/", "test/conformance.test.ts"];
  console.log(
    `\n${pkg.name}: ${whole ? "every suite" : "unit suites and conformance kit"} on Node ${version}`,
  );
  const vitest = path.join(dir, "node_modules", "vitest", "vitest.mjs");
  const began = Date.now();
  const run = spawnSync(node, [vitest, "run", ...filters, "--passWithNoTests"], {
    cwd: dir,
    stdio: "inherit",
    // A kit `pnpm test` ran whole on this machine's Node runs in short form (100 messages a bulk case,
    // not 1000): here the question is the runtime, and CI's time is limited. A skipped suite runs whole.
    env: {
      ...(whole ? {} : { PRISM_CONFORMANCE_SHORT: "1" }),
      ...process.env,
      PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
    },
  });
  timings.push(`${pkg.name.padEnd(40)} ${seconds(Date.now() - began)}`);
  if (run.status !== 0) failures.push(pkg.name);
}

console.log(`\nNode ${version}, time per package:\n  ${timings.join("\n  ")}`);
console.log(`Node ${version}: ${seconds(Date.now() - started)} in all`);
if (failures.length > 0) {
  console.error(`Failed on Node ${version}: ${failures.join(", ")}`);
  process.exit(1);
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(0)} s`;
}
