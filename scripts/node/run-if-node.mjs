#!/usr/bin/env node
// `node scripts/node/run-if-node.mjs <min version> <command…>`: a package's test script for a package
// whose engines rule out the Node this repository builds on. On an older Node it runs nothing and says so
// loudly (and into the skip summary of `pnpm test`); `pnpm test:node 24 --skipped-suites` (CI's Node matrix) runs the
// suites on Node 24, installed from the npm registry.
import { spawnSync } from "node:child_process";
import { recordSkip } from "../test-support/skips.mjs";

const [minimum, command, ...args] = process.argv.slice(2);
if (!minimum || !command) {
  console.error("usage: node scripts/node/run-if-node.mjs <min version> <command> [args…]");
  process.exit(2);
}
const have = process.versions.node.split(".").map(Number);
const need = minimum.split(".").map(Number);
const differs = need.findIndex((part, i) => (have[i] ?? 0) !== part);
if (differs !== -1 && (have[differs] ?? 0) < (need[differs] ?? 0)) {
  const reason = `Node ${process.versions.node} is older than ${minimum}, which this package needs; \`pnpm test:node 24 --skipped-suites\` runs them on Node 24`;
  const rule = "!".repeat(100);
  console.warn(`\n${rule}\nSKIPPED: every test of this package. ${reason}.\n${rule}\n`);
  recordSkip({ backend: "node", what: "tests", reason });
  process.exit(0);
}
const run = spawnSync(command, args, { stdio: "inherit", shell: process.platform === "win32" });
process.exit(run.status ?? 1);
