// `pnpm bench`: the Prism consumer against the raw clients on every backend, state stores, and memory
// with a slow processor. Prints Markdown tables and writes bench/results/<time>.json|md (and latest.*
// for a complete run); a --quick run writes to .cache/bench instead, which git ignores. Figures, not
// pass/fail.
//
//   pnpm bench                                  full suite (about 20 minutes)
//   pnpm bench -- --quick                       fewer messages, one round, 1 s latency runs
//   pnpm bench -- --only memstore,redis         a subset: memstore nats-core
//                                               nats-jetstream redis postgres kafka kafka-platformatic
//                                               state transactional memory (kafka-platformatic needs
//                                               Node >= 22.22)
//   pnpm bench -- --rounds 5 --profile          more rounds; --profile writes a CPU profile per row
//                                               to profiles/ next to the results (read with profile-top.mjs)
import { fork } from "node:child_process";
import { parseArgs } from "node:util";
import { describeMachine } from "./lib/machine.mjs";
import { assessTargets, modeLabel, toMarkdown, writeResults } from "./lib/report.mjs";
import { checkService } from "./lib/services.mjs";
import { stateStores } from "./lib/state-stores.mjs";
import { median } from "./lib/stats.mjs";
import { transactionalVariants } from "./lib/transactional.mjs";

const sourceNames = [
  "memstore",
  "nats-core",
  "nats-jetstream",
  "redis",
  "postgres",
  "kafka",
  "kafka-platformatic",
];
const sections = [...sourceNames, "state", "transactional", "memory"];
/** Sources of the slow-processor memory runs: every one that keeps a backlog. */
const memorySources = ["memstore", "nats-jetstream", "redis", "postgres", "kafka"];
const payloadSizes = [16, 1024];
const batchSize = 100;
/** Concurrency of the extra row of queue sources, whose acknowledgements then overlap. */
const queueConcurrency = 16;
/** Rounds at most for a row whose per-round ratios spread: more until the median settles. */
const maxRounds = 9;
/** Spread of per-round ratios (max/min − 1) above which a row gets more rounds. */
const spreadLimit = 0.1;

const { values } = parseArgs({
  // pnpm passes a literal "--" through when called as `pnpm bench -- --quick`.
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    only: { type: "string" },
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    profile: { type: "boolean", default: false },
  },
});
const only = values.only?.split(",").map((name) => name.trim());
const unknown = only?.filter((name) => !sections.includes(name)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown --only ${unknown.join(", ")}; expected some of ${sections.join(", ")}`);
  process.exit(2);
}
const selected = (name) => !only || only.includes(name);
const quick = values.quick;
const settings = {
  quick,
  only,
  rounds: Number(values.rounds ?? (quick ? 1 : 3)),
  latency: { rate: 2000, seconds: quick ? 1 : 5 },
  batchSize,
};
// Quick runs are for trying things out: their figures are not worth keeping in the repository.
const resultsDirectory = quick
  ? new URL("../.cache/bench/", import.meta.url)
  : new URL("./results/", import.meta.url);

/** Runs one task in a fresh child process (own heap, own peak RSS). */
function inWorker(task) {
  // --expose-gc: the memory runs measure the heap after a full collection.
  const execArgv = [
    "--expose-gc",
    ...(values.profile
      ? ["--cpu-prof", "--cpu-prof-dir", new URL("profiles", resultsDirectory).pathname]
      : []),
  ];
  return new Promise((resolve, reject) => {
    const child = fork(new URL("./lib/worker.mjs", import.meta.url), [], { execArgv });
    let reply;
    child.once("message", (message) => {
      reply = message;
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (reply?.error) reject(new Error(reply.error));
      else if (reply) resolve(reply.result);
      else reject(new Error(`the worker exited with code ${code} without a result`));
    });
    child.send(task);
  });
}

/** Whether this Node is `minimum` ("22.22.0") or later. */
function nodeAtLeast(minimum) {
  const have = process.versions.node.split(".").map(Number);
  const need = minimum.split(".").map(Number);
  const differs = need.findIndex((part, i) => have[i] !== part);
  return differs === -1 || have[differs] > need[differs];
}

const progress = (line) => process.stderr.write(`${line}\n`);

const reachable = { postgres: false, redis: false, nats: false, kafka: false };
const unreachable = {};
for (const name of Object.keys(reachable)) {
  const check = await checkService(name);
  reachable[name] = check.reachable;
  if (!check.reachable) unreachable[name] = `skipped: ${name} unreachable`;
}
const startedAt = new Date().toISOString();
const machine = await describeMachine(reachable);

const comparisons = [];
const notes = [];
for (const name of sourceNames.filter(selected)) {
  const source = await import(`./sources/${name}.mjs`);
  notes.push(`${source.title}: ${source.note}`);
  const variants = payloadSizes.flatMap((payloadSize) =>
    [0, batchSize].map((rowBatch) => ({ payloadSize, batchSize: rowBatch, concurrency: 1 })),
  );
  if (source.queue) variants.push({ payloadSize: 16, batchSize: 0, concurrency: queueConcurrency });
  for (const { payloadSize, batchSize: rowBatch, concurrency } of variants) {
    const row = {
      payloadSize,
      batchSize: rowBatch,
      concurrency,
      count: source.messages[quick ? "quick" : "full"][payloadSize],
      rounds: settings.rounds,
      latency: payloadSize === 16 ? settings.latency : undefined,
      // Tracing + metrics: on the plain row of each source (16 B, one at a time).
      telemetry: payloadSize === 16 && rowBatch === 0 && concurrency === 1,
    };
    const entry = { source: name, title: source.title, ...row, messages: row.count };
    progress(`${source.title}, ${payloadSize} B, ${modeLabel(row)}…`);
    if (source.service && !reachable[source.service]) {
      comparisons.push({ ...entry, problem: unreachable[source.service] });
      continue;
    }
    if (source.minimumNode && !nodeAtLeast(source.minimumNode)) {
      const problem = `skipped: needs Node >= ${source.minimumNode}, this is ${process.versions.node} (PATH="$(dirname "$(node scripts/node/install.mjs 24)")":$PATH pnpm bench runs it)`;
      comparisons.push({ ...entry, problem });
      continue;
    }
    try {
      const result = await inWorker({ kind: "compare", source: name, row });
      const ratiosOf = (variant) => result.runs.raw.map((r, i) => result.runs[variant][i].rate / r.rate);
      const spreadOf = (ratios) => Math.max(...ratios) / Math.min(...ratios) - 1;
      // A noisy machine spreads the per-round ratios: more rounds (in a fresh process) until it settles.
      while (!quick && result.runs.raw.length < maxRounds && spreadOf(ratiosOf("consumer")) > spreadLimit) {
        progress(`  ratios spread ${(spreadOf(ratiosOf("consumer")) * 100).toFixed(0)} %: 2 more rounds`);
        const more = await inWorker({
          kind: "compare",
          source: name,
          row: { ...row, rounds: 2, latency: undefined },
        });
        for (const variant of Object.keys(result.runs)) result.runs[variant].push(...more.runs[variant]);
      }
      const side = (runs) => ({
        rate: median(runs.map((r) => r.rate)),
        rates: runs.map((r) => r.rate),
        peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
      });
      const ratios = ratiosOf("consumer");
      comparisons.push({
        ...entry,
        rounds: ratios.length,
        raw: side(result.runs.raw),
        consumer: side(result.runs.consumer),
        ratio: median(ratios),
        ratios,
        ...(result.runs.telemetry
          ? { telemetry: side(result.runs.telemetry), telemetryRatio: median(ratiosOf("telemetry")) }
          : {}),
        latency: result.latency,
        maxRssMiB: result.maxRssMiB,
      });
    } catch (error) {
      progress(String(error.message));
      comparisons.push({ ...entry, problem: `failed: ${error.message.split("\n")[0]}` });
    }
  }
}

const stateRows = [];
if (selected("state")) {
  for (const [name, store] of Object.entries(stateStores)) {
    for (const commitInterval of ["5s", 0]) {
      const row = { commitInterval, count: quick ? 100_000 : 1_000_000, rounds: settings.rounds };
      const entry = { store: name, title: store.title, commitInterval, messages: row.count };
      progress(
        `state store ${store.title}, commit ${commitInterval === 0 ? "per message" : commitInterval}…`,
      );
      if (store.service && !reachable[store.service]) {
        stateRows.push({ ...entry, problem: unreachable[store.service] });
        continue;
      }
      try {
        const { runs } = await inWorker({ kind: "state", store: name, row });
        const middle = runs.find((r) => r.rate === median(runs.map((x) => x.rate)));
        stateRows.push({ ...entry, ...middle, rates: runs.map((r) => r.rate) });
      } catch (error) {
        progress(String(error.message));
        stateRows.push({ ...entry, problem: `failed: ${error.message.split("\n")[0]}` });
      }
    }
  }
}

const transactionalRows = [];
if (selected("transactional")) {
  for (const { mode, batchSize: rowBatch } of transactionalVariants(batchSize)) {
    const row = { mode, batchSize: rowBatch, count: quick ? 5_000 : 50_000, rounds: settings.rounds };
    const entry = { mode, batchSize: rowBatch, messages: row.count };
    progress(`transactional mode: ${mode}, ${rowBatch === 0 ? "per message" : `batches of ${rowBatch}`}…`);
    if (!reachable.postgres) {
      transactionalRows.push({ ...entry, problem: unreachable.postgres });
      continue;
    }
    try {
      const { runs } = await inWorker({ kind: "transactional", row });
      transactionalRows.push({
        ...entry,
        rate: median(runs.map((r) => r.rate)),
        rates: runs.map((r) => r.rate),
      });
    } catch (error) {
      progress(String(error.message));
      transactionalRows.push({ ...entry, problem: `failed: ${error.message.split("\n")[0]}` });
    }
  }
}

const memoryRows = [];
if (selected("memory")) {
  for (const name of memorySources) {
    const source = await import(`./sources/${name}.mjs`);
    progress(`memory, slow processor on ${source.title}…`);
    const entry = { source: name, title: source.title };
    if (source.service && !reachable[source.service]) {
      memoryRows.push({ ...entry, problem: unreachable[source.service] });
      continue;
    }
    try {
      // 60 s: the client's buffers and V8's heap settle in the first ~8 s (a 40 s JetStream run plateaued
      // at 124 MiB from then on), so the half-time sample falls well after the warm-up.
      const row = { seconds: quick ? 3 : 60, processingMs: 1 };
      memoryRows.push({ ...entry, ...row, ...(await inWorker({ kind: "memory", source: name, row })) });
    } catch (error) {
      progress(String(error.message));
      memoryRows.push({ ...entry, problem: `failed: ${error.message.split("\n")[0]}` });
    }
  }
}

const results = {
  startedAt,
  settings,
  machine,
  comparisons,
  notes,
  stateStores: stateRows,
  transactional: transactionalRows,
  memory: memoryRows,
};
results.targets = assessTargets(results);
console.log(toMarkdown(results));
const written = await writeResults(resultsDirectory, results, { latest: !quick && !only });
progress(`written: ${written.join(", ")}`);
