// One row of the comparison: the same pre-published messages consumed by the raw client's loop and by
// the Prism consumer, interleaved round by round, then end-to-end latency of each at a moderate rate.
//
// A source module (bench/sources/*.mjs) exports: `title`, `service` (or undefined), `messages`
// ({ full, quick } by payload size), `open()`/`close(ctx)`, `prepare(ctx, { count, payload })` → topic,
// `drop(ctx, topic)`, `publisher(ctx, topic)` → (payloads) => Promise, `raw(ctx, topic, sink, { behavior })` and
// `consumer(ctx, topic, sink, { behavior, stateStore, expected })` → { stop(), consumer? }. Optional flags:
// `consumesBacklog` (a run uses its messages up, so each run gets a fresh topic), `live` (no backlog
// possible: `flood(ctx, topic, { count, payload })` publishes once the reader is subscribed) and
// `timedFromFirstDelivery` (readiness comes after subscribing — a Kafka member's positioning — so both
// variants are timed from their first message).
import { LatencyRecorder, stampPayload } from "./latency.mjs";
import { Meter } from "./meter.mjs";
import { publishAtRate } from "./publish-at-rate.mjs";
import { sampleRss } from "./rss.mjs";
import { instrument } from "./telemetry.mjs";

/** Longest a run may take before it counts as stuck. */
const runTimeoutMs = 120_000;

/**
 * @param source a source module
 * @param row { payloadSize, batchSize, concurrency, count, rounds, latency: { rate, seconds } | undefined,
 *   telemetry: boolean } — with `telemetry`, a third variant: the consumer with tracing and metrics on.
 */
export async function compareRow(source, row) {
  const ctx = await source.open();
  try {
    const behavior = behaviorOf(row);
    const payload = new Uint8Array(row.payloadSize);
    const shared = source.consumesBacklog
      ? undefined
      : await source.prepare(ctx, backlog(source, row, payload));
    const variants = row.telemetry ? ["raw", "consumer", "telemetry"] : ["raw", "consumer"];
    const runs = Object.fromEntries(variants.map((variant) => [variant, []]));
    // An uncounted first round on a tenth of the messages, so no variant runs on cold JIT code.
    const warmUp = { ...row, count: Math.ceil(row.count / 10), payload, behavior };
    for (const variant of variants) {
      const topic = shared ?? (await source.prepare(ctx, backlog(source, warmUp, payload)));
      await throughput(source, ctx, topic, variant, warmUp);
      if (!shared) await source.drop(ctx, topic);
    }
    for (let round = 0; round < row.rounds; round++) {
      // Interleaved, so drift in machine load affects every variant alike.
      for (const variant of variants) {
        const topic = shared ?? (await source.prepare(ctx, backlog(source, row, payload)));
        runs[variant].push(await throughput(source, ctx, topic, variant, { ...row, payload, behavior }));
        if (!shared) await source.drop(ctx, topic);
      }
    }
    if (shared) await source.drop(ctx, shared);
    const latency = {};
    if (row.latency) {
      for (const variant of ["raw", "consumer"]) {
        latency[variant] = await endToEnd(source, ctx, variant, { ...row, behavior });
      }
    }
    return { runs, latency };
  } finally {
    await source.close(ctx);
  }
}

function behaviorOf({ batchSize, concurrency }) {
  return batchSize > 0 ? { concurrency, batchSize } : { concurrency };
}

function backlog(source, row, payload) {
  return { count: source.live ? 0 : row.count, payload };
}

async function start(source, ctx, topic, variant, sink, { behavior, count }) {
  if (variant === "raw") return source.raw(ctx, topic, sink, { behavior });
  const beforeStart = variant === "telemetry" ? (driver) => instrument(source.title, driver) : undefined;
  return source.consumer(ctx, topic, sink, { behavior, expected: count, beforeStart });
}

async function throughput(source, ctx, topic, variant, row) {
  const meter = new Meter(row.count);
  const memory = sampleRss();
  const run = await start(source, ctx, topic, variant, () => meter.tick(), row);
  // A live source's clock starts with its first message, which arrives once `flood` has published.
  if (source.live) await source.flood(ctx, topic, { count: row.count, payload: row.payload });
  else if (!source.timedFromFirstDelivery) meter.start();
  await waitFor(meter, run, `${source.title} ${variant}`);
  const rss = memory.stop();
  await run.stop();
  return { rate: meter.rate(), peakRssMiB: rss.peakMiB };
}

async function endToEnd(source, ctx, variant, row) {
  const topic = await source.prepare(ctx, { count: 0, payload: new Uint8Array(row.payloadSize) });
  const count = Math.round(row.latency.rate * row.latency.seconds);
  let recorder;
  let meter = new Meter(1);
  const sink = (payload) => {
    recorder?.record(payload);
    meter.tick();
  };
  const run = await start(source, ctx, topic, variant, sink, { ...row, count });
  // One message through first: the reader is ready (a Kafka member positioned on its partitions, a
  // JetStream pull open) before the timed messages start, for raw and consumer alike.
  await source.publisher(ctx, topic)([stampPayload(row.payloadSize)]);
  await waitFor(meter, run, `${source.title} ${variant} latency warm-up`);
  recorder = new LatencyRecorder();
  meter = new Meter(count);
  await publishAtRate(source.publisher(ctx, topic), {
    rate: row.latency.rate,
    count,
    payloadSize: row.payloadSize,
  });
  await waitFor(meter, run, `${source.title} ${variant} latency`);
  await run.stop();
  await source.drop(ctx, topic);
  return recorder.summary();
}

/** Waits for the meter; a consumer that failed meanwhile is named with its error. */
async function waitFor(meter, run, what) {
  try {
    await meter.wait(runTimeoutMs, what);
  } catch (error) {
    const lastError = run.consumer?.health().lastError?.message;
    throw lastError ? new Error(`${error.message}; consumer error: ${lastError}`) : error;
  }
}
