// The results as Markdown tables (printed and written) and JSON, and where each target stands.
import { mkdir, writeFile } from "node:fs/promises";

const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const ms = (n) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : "–");
const mib = (n) => (Number.isFinite(n) ? n.toFixed(0) : "–");
const payloadLabel = (bytes) => (bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`);

export function modeLabel({ batchSize, concurrency }) {
  const batching = batchSize > 0 ? `batch ${batchSize}` : "single";
  return concurrency > 1 ? `${batching}, concurrency ${concurrency}` : batching;
}

function table(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function comparisonTable(comparisons) {
  const header = [
    "Source",
    "Payload",
    "Mode",
    "Messages",
    "Raw msgs/s",
    "Consumer msgs/s",
    "Consumer/raw (range, rounds)",
    "With tracing + metrics / raw",
    "Raw p50 / p99 ms",
    "Consumer p50 / p99 ms",
    "Peak RSS raw / consumer MiB",
  ];
  const rows = comparisons.map((c) => {
    const lead = [c.title, payloadLabel(c.payloadSize), modeLabel(c), int(c.messages)];
    if (c.problem) return [...lead, c.problem, "", "", "", "", "", ""];
    const latency = (l) => (l ? `${ms(l.p50)} / ${ms(l.p99)}` : "–");
    const ratios = c.ratios ?? [c.ratio];
    const range = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
    return [
      ...lead,
      `${int(c.raw.rate)}${rawUnstable(c) ? " (unstable)" : ""}`,
      int(c.consumer.rate),
      `${c.ratio.toFixed(2)} (${range}, ${ratios.length})`,
      c.telemetryRatio === undefined ? "–" : c.telemetryRatio.toFixed(2),
      latency(c.latency.raw),
      latency(c.latency.consumer),
      `${mib(c.raw.peakRssMiB)} / ${mib(c.consumer.peakRssMiB)}`,
    ];
  });
  return table(header, rows);
}

/** The raw client's own rate varied by more than a third between rounds: the row measures the machine too. */
function rawUnstable(c) {
  const rates = c.raw.rates ?? [];
  return rates.length > 1 && Math.max(...rates) / Math.min(...rates) > 4 / 3;
}

function stateStoreTable(stateRows) {
  const header = [
    "State store",
    "Commit",
    "Messages",
    "Consumer msgs/s",
    "State writes during the run",
    "Writes/s",
  ];
  const rows = stateRows.map((s) => {
    const lead = [s.title, s.commitInterval === 0 ? "per message (coalesced)" : `every ${s.commitInterval}`];
    if (s.problem) return [...lead, int(s.messages), s.problem, "", ""];
    return [...lead, int(s.messages), int(s.rate), int(s.commits), int(s.commits / s.seconds)];
  });
  return table(header, rows);
}

function transactionalTable(rows = []) {
  const header = ["Mode", "Delivery", "Messages", "Consumer msgs/s", "Against plain"];
  const plain = new Map(
    rows.filter((r) => r.mode === "plain" && !r.problem).map((r) => [r.batchSize, r.rate]),
  );
  const body = rows.map((r) => {
    const lead = [r.mode, r.batchSize === 0 ? "per message" : `batches of ${r.batchSize}`, int(r.messages)];
    if (r.problem) return [...lead, r.problem, ""];
    const base = plain.get(r.batchSize);
    return [...lead, int(r.rate), base ? (r.rate / base).toFixed(2) : "–"];
  });
  return table(header, body);
}

function memoryTable(memoryRows) {
  const header = [
    "Source",
    "Seconds",
    "Published",
    "Processed",
    "RSS start MiB",
    "at half time",
    "peak",
    "end",
    "Heap after GC at half time / end MiB",
  ];
  const rows = memoryRows.map((m) => {
    if (m.problem) return [m.title, m.problem, "", "", "", "", "", "", ""];
    return [
      m.title,
      m.seconds.toFixed(1),
      int(m.published),
      int(m.processed),
      mib(m.startMiB),
      mib(m.halfwayMiB),
      mib(m.peakMiB),
      mib(m.endMiB),
      m.endHeapMiB === undefined ? "–" : `${mib(m.halfwayHeapMiB)} / ${mib(m.endHeapMiB)}`,
    ];
  });
  return table(header, rows);
}

/** Each target of the issue with the measured figure and whether it is met; not measured when skipped. */
export function assessTargets({ comparisons, stateStores, memory }) {
  const targets = [];
  const measured = (rows) => rows.filter((r) => !r.problem);
  for (const title of new Set(comparisons.map((c) => c.title))) {
    const rows = measured(comparisons.filter((c) => c.title === title));
    const worst = rows.reduce((a, b) => (b.ratio < (a?.ratio ?? Infinity) ? b : a), undefined);
    targets.push({
      target: `${title}: consumer/raw ≥ 0.95 on every row (commit every 5 s)`,
      figure: worst
        ? `worst ${worst.ratio.toFixed(2)} (${payloadLabel(worst.payloadSize)}, ${modeLabel(worst)})`
        : undefined,
      met: worst ? rows.every((r) => r.ratio >= 0.95) : undefined,
    });
    const traced = rows.find((r) => r.telemetryRatio !== undefined);
    targets.push({
      target: `${title}: with tracing + metrics ≥ 0.85 of raw`,
      figure: traced?.telemetryRatio.toFixed(2),
      met: traced && traced.telemetryRatio >= 0.85,
    });
    const timed = rows.find((r) => r.latency?.raw && r.latency?.consumer && r.concurrency === 1);
    targets.push({
      target: `${title}: consumer p99 within 1 ms of raw's at ${int(2000)} msgs/s`,
      figure: timed && `${ms(timed.latency.consumer.p99)} vs ${ms(timed.latency.raw.p99)} ms`,
      met: timed && timed.latency.consumer.p99 <= timed.latency.raw.p99 + 1,
    });
  }
  // Watermill's published figures (16-core machine) that the consumer's rates should stay well above.
  for (const [title, floor, predicate, label] of [
    ["Kafka", 101_669, () => true, "Kafka"],
    ["NATS JetStream", 34_713, () => true, "JetStream"],
    ["Redis Streams", 12_134, () => true, "Redis Streams"],
    ["PostgreSQL queue", 9_460, (c) => c.batchSize > 0, "PostgreSQL, batch 100"],
  ]) {
    const rows = measured(comparisons).filter((c) => c.title === title && predicate(c));
    const best = rows.reduce((a, b) => (b.consumer.rate > (a?.consumer.rate ?? 0) ? b : a), undefined);
    targets.push({
      target: `${label}: consumer above Watermill's published ${int(floor)} msgs/s`,
      figure:
        best && `${int(best.consumer.rate)} msgs/s (${payloadLabel(best.payloadSize)}, ${modeLabel(best)})`,
      met: best && best.consumer.rate > floor,
    });
  }
  const rate = (title, predicate) => measured(comparisons).find((c) => c.title === title && predicate(c));
  const single16 = (c) => c.payloadSize === 16 && c.batchSize === 0 && c.concurrency === 1;
  const memstore = rate("memstore", single16);
  targets.push({
    target: "memstore consumer ≥ 1,000,000 msgs/s (16 B, single)",
    figure: memstore && `${int(memstore.consumer.rate)} msgs/s`,
    met: memstore && memstore.consumer.rate >= 1_000_000,
  });
  for (const [title, floor] of [
    ["Redis", 20_000],
    ["PostgreSQL", 5_000],
  ]) {
    const row = measured(stateStores).find((s) => s.title === title && s.commitInterval === 0);
    targets.push({
      target: `per-message commit, ${title} state: ≥ ${int(floor)} msgs/s`,
      figure: row && `${int(row.rate)} msgs/s, ${int(row.commits)} state writes`,
      met: row && row.rate >= floor,
    });
  }
  for (const m of measured(memory)) {
    // Flat: what the heap holds after a full collection does not grow from half time to the end (RSS,
    // shown beside it, also keeps what the allocator holds for reuse).
    const growth = m.endHeapMiB - m.halfwayHeapMiB;
    targets.push({
      target: `${m.title}: memory flat with a slow processor`,
      figure: `heap after GC ${mib(m.halfwayHeapMiB)} at half time, ${mib(m.endHeapMiB)} at the end; RSS start ${mib(m.startMiB)}, half time ${mib(m.halfwayMiB)}, peak ${mib(m.peakMiB)}, end ${mib(m.endMiB)} MiB`,
      met: growth < 8,
    });
  }
  return targets;
}

function targetList(targets) {
  const state = (met) => (met === undefined ? "not measured" : met ? "met" : "missed");
  return targets
    .map((t) => `- ${t.target}: **${state(t.met)}**${t.figure ? ` — ${t.figure}` : ""}`)
    .join("\n");
}

export function toMarkdown(results) {
  const { machine, settings } = results;
  const servers = Object.values(machine.servers).join("; ") || "none reachable";
  return [
    `# Prism consumer benchmarks`,
    "",
    `Run ${results.startedAt}${settings.quick ? " (quick)" : ""}${settings.only ? `, only ${settings.only.join(", ")}` : ""}.`,
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}; ` +
      `load average at start ${machine.loadAverageAtStart.join(" / ")}. Servers: ${servers}.`,
    "",
    `Throughput: median of ${settings.rounds} round(s) or more, raw and consumer (and the consumer with tracing + ` +
      "metrics on the plain 16 B row) interleaved in each; a row whose per-round ratios spread by more than 10 % " +
      "gets 2 more rounds at a time, up to 9 (the range and count are shown); a raw rate that varied by more " +
      "than a third between rounds is marked unstable. Timed from the first " +
      "message delivered to the last (connecting and group joins excluded). The consumer runs a no-op processor " +
      "with its state in memstore, committing every 5 s. Latency: publish time (carried in the payload) to " +
      `processing, ${int(settings.latency.rate)} msgs/s for ${settings.latency.seconds} s, 16 B rows only. ` +
      "Peak RSS: sampled during the runs of that variant, in a process per row that also holds the prepared messages " +
      "where the client keeps them (memstore). Other work on the machine makes the figures noisy; compare ratios. " +
      "Tracing + metrics: @prism/opentelemetry into the real SDK (AsyncLocalStorage context, parent-based 1 % " +
      "trace-id ratio sampling, sampled spans batched to an exporter that drops them, every metric aggregated).",
    "",
    "## Consumer against the raw client",
    "",
    comparisonTable(results.comparisons),
    "",
    ...results.notes.map((note) => `- ${note}`),
    "",
    "## State stores (memstore source, 16 B, single, concurrency 1)",
    "",
    stateStoreTable(results.stateStores),
    "",
    "## Transactional mode (memstore source, PostgreSQL state, one side-table row per message)",
    "",
    "Plain: the row is written through the pool (at-least-once). Transactional: `transactional: true`, the " +
      "row written through the attempt's transaction, committed with the record of the message's position.",
    "",
    transactionalTable(results.transactional),
    "",
    "## Memory with a processor slower than the publisher (1 KiB messages)",
    "",
    memoryTable(results.memory),
    "",
    "## Targets",
    "",
    targetList(results.targets),
    "",
  ].join("\n");
}

/** Writes `<stamp>.json`/`.md` and, for a complete run, `latest.json`/`.md`, under `directory`. */
export async function writeResults(directory, results, { latest }) {
  await mkdir(directory, { recursive: true });
  const stamp = results.startedAt.replaceAll(":", "-").replace(/\.\d+Z$/, "Z");
  const names = [
    `${stamp}${results.settings.quick ? "-quick" : ""}${results.settings.only ? "-partial" : ""}`,
  ];
  if (latest) names.push("latest");
  const markdown = toMarkdown(results);
  for (const name of names) {
    await writeFile(new URL(`${name}.json`, directory), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(new URL(`${name}.md`, directory), markdown);
  }
  return names.map((name) => new URL(`${name}.md`, directory).pathname);
}
