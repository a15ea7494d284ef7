#!/usr/bin/env node
// `pnpm crash`: the multi-process crash harness from the command line.
//   pnpm crash                               every source: 3 replicas, 20,000 messages, 2 SIGKILLs, 1 SIGTERM, 1 added
//   pnpm crash -- --short                    every source: 3,000 messages, 1 of each (what CI runs)
//   pnpm crash -- --only kafka,redis --kills 5
//   pnpm crash -- --transactional --only kafka,redis --kills 5
//                                            side-table rows written through the consumer's PostgreSQL
//                                            transaction (`transactional: true`): no duplicate is allowed
//   PATH="$(dirname "$(node scripts/node/install.mjs 24)")":$PATH node e2e/crash/cli.mjs --only kafka-platformatic
//                                            (that source needs Node >= 22.22; elsewhere it is skipped, loudly)
//   pnpm crash -- --throughput               messages/s of the group with 1, 2 and 3 replicas, per source
//   pnpm crash -- --throughput --delay 2     … with a processor that waits 2 ms per message (I/O-bound work)
// Exits 1 when a scenario lost a message, exceeded the duplicate bound, moved a checkpoint backwards, or a
// replica failed on its own.
import { parseArgs } from "node:util";
import { backend } from "../../scripts/test-support/backends.mjs";
import { measureThroughput, runScenario } from "./harness.mjs";
import { nodeAtLeast, sources } from "./sources.mjs";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    short: { type: "boolean", default: false },
    throughput: { type: "boolean", default: false },
    processes: { type: "string" },
    messages: { type: "string" },
    kills: { type: "string" },
    terms: { type: "string" },
    adds: { type: "string" },
    delay: { type: "string" },
    verbose: { type: "boolean", default: false },
    transactional: { type: "boolean", default: false },
  },
});

const urls = {};
for (const name of ["nats", "redis", "postgres", "kafka"]) {
  const found = await backend(name);
  if (found.available) urls[name] = found.url;
}
const all = sources({ nats: "", redis: "", postgres: "", kafka: "" });
const wanted = values.only ? values.only.split(",") : Object.keys(all);
for (const key of wanted) {
  if (!all[key]) {
    console.error(`unknown source "${key}"; known: ${Object.keys(all).join(", ")}`);
    process.exit(2);
  }
}
const runnable = wanted.filter(
  (key) =>
    all[key].backends.every((b) => urls[b]) && (!all[key].minimumNode || nodeAtLeast(all[key].minimumNode)),
);
for (const key of wanted.filter((k) => !runnable.includes(k))) {
  const { backends, minimumNode } = all[key];
  const why = backends.every((b) => urls[b])
    ? `Node >= ${minimumNode} (this is ${process.versions.node}; run it with Node 24 on the PATH)`
    : `${backends.join(" + ")} (pnpm services:up)`;
  console.warn(`!!! skipping ${key}: needs ${why}`);
}

const number = (value, fallback) => (value === undefined ? fallback : Number(value));
const log = values.verbose ? (line) => console.error(line) : () => {};
let failed = false;

if (values.throughput) {
  const messages = number(values.messages, values.short ? 3000 : 20_000);
  console.log("| source | 1 process | 2 processes | 3 processes |\n| --- | --- | --- | --- |");
  for (const source of runnable) {
    const rates = [];
    for (const processes of [1, 2, 3]) {
      const delayMs = number(values.delay, 0);
      const result = await measureThroughput({ source, urls, processes, messages, delayMs, log });
      if (result.processed < messages || result.failures.length > 0) failed = true;
      rates.push(
        `${result.rate.toLocaleString("en")} msgs/s${result.processed < messages ? ` (LOST ${messages - result.processed})` : ""}`,
      );
    }
    console.log(`| ${all[source].label} | ${rates.join(" | ")} |`);
  }
} else {
  const shape = values.short
    ? { messages: 3000, kills: 1, terms: 1, adds: 1, publishRate: 1000, commitIntervalMs: 1000 }
    : { messages: 20_000, kills: 2, terms: 1, adds: 1 };
  const options = {
    ...shape,
    processes: number(values.processes, 3),
    messages: number(values.messages, shape.messages),
    kills: number(values.kills, shape.kills),
    terms: number(values.terms, shape.terms),
    adds: number(values.adds, shape.adds),
    transactional: values.transactional,
  };
  console.log(
    "| source | processes | messages | SIGKILL / SIGTERM / added | lost | duplicates (bound) | checkpoint regressions | longest takeover | slowest join | group rate | time |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const source of runnable) {
    const r = await runScenario({ source, urls, ...options, log });
    if (!r.ok) failed = true;
    console.log(
      `| ${r.source} | ${r.processes} | ${r.messages} | ${r.kills} / ${r.terms} / ${r.adds} | ${r.lost} | ` +
        `${r.duplicates} (${r.duplicateBound}) | ${r.regressions.length} of ${r.checkpointSamples} samples | ` +
        `${(r.takeoverMs / 1000).toFixed(1)} s | ${(r.joinStartMs / 1000).toFixed(1)} s | ${r.rate} msgs/s | ${r.seconds} s |`,
    );
    if (values.verbose) {
      console.error(
        `    duplicates after each action: ${JSON.stringify(r.duplicatesAfter)}, before any: ${r.duplicatesBeforeAnyAction}`,
      );
    }
    if (!r.ok) {
      console.error(
        `    ${r.source} FAILED: ${JSON.stringify({ lostIds: r.lostIds, regressions: r.regressions.slice(0, 5), failures: r.failures })}`,
      );
    }
  }
}
process.exit(failed ? 1 : 0);
