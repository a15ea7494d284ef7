import { percentile } from "./stats.mjs";

/**
 * End-to-end latency: the publisher writes `performance.now()` into the first 8 bytes of the payload, the
 * receiver subtracts it from its own clock. Publisher and receiver share one process, so one clock.
 */
export function stampPayload(size) {
  const payload = new Uint8Array(Math.max(size, 8));
  new DataView(payload.buffer).setFloat64(0, performance.now(), true);
  return payload;
}

export function stampOf(payload) {
  return new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0, true);
}

/** Collects latencies in ms; a plain sorted array is exact for the few thousand samples a run takes. */
export class LatencyRecorder {
  samples = [];

  record(payload) {
    this.samples.push(performance.now() - stampOf(payload));
  }

  summary() {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  }
}
