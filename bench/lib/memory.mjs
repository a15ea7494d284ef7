// Bounded in-flight: a processor slower than the publisher, RSS sampled while both run for a while.
import { stampPayload } from "./latency.mjs";
import { sampleRss } from "./rss.mjs";

/**
 * Publishes 1 KiB messages as fast as `source` accepts them (100 outstanding at most, so the publisher
 * itself holds little) while the consumer's processor takes `processingMs` per message, for `seconds`.
 */
export async function slowProcessorRun(source, { seconds, processingMs }) {
  const ctx = await source.open();
  try {
    const topic = await source.prepare(ctx, { count: 0, payload: new Uint8Array(1024) });
    const publish = source.publisher(ctx, topic);
    const slow = () => new Promise((resolve) => setTimeout(resolve, processingMs));
    const run = await source.consumer(ctx, topic, slow, { behavior: {}, expected: 0 });
    const memory = sampleRss(100);
    const halfway = { rss: 0, heap: 0 };
    let published = 0;
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    while (elapsed() < seconds) {
      const window = Array.from({ length: 100 }, () => stampPayload(1024));
      await publish(window);
      published += window.length;
      if (halfway.rss === 0 && elapsed() >= seconds / 2) {
        halfway.rss = process.memoryUsage.rss() / 1024 / 1024;
        halfway.heap = heapAfterCollection();
      }
    }
    const rss = memory.stop();
    const endHeapMiB = heapAfterCollection();
    const processed = run.consumer.health().counters.processed;
    await run.stop();
    await source.drop(ctx, topic);
    return {
      seconds: elapsed(),
      published,
      processed,
      ...rss,
      halfwayMiB: halfway.rss,
      halfwayHeapMiB: halfway.heap,
      endHeapMiB,
    };
  } finally {
    await source.close(ctx);
  }
}

/**
 * The JavaScript heap still in use after a full collection, in MiB: what the run really holds. RSS also
 * counts what the allocator keeps for reuse, which grows with load on the machine and rarely shrinks.
 * The worker runs with `--expose-gc`.
 */
function heapAfterCollection() {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}
