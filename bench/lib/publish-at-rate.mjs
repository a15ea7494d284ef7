import { stampPayload } from "./latency.mjs";

/**
 * Publishes `count` timestamped payloads at `rate` per second: every millisecond timer tick hands the
 * messages due by then to `publish` in one call (timers are not precise enough for one message per tick,
 * and a request per message would measure the publisher). Resolves when all are accepted.
 */
export async function publishAtRate(publish, { rate, count, payloadSize }) {
  const started = performance.now();
  const accepted = [];
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    const payloads = [];
    for (; sent < due; sent++) payloads.push(stampPayload(payloadSize));
    if (payloads.length > 0) accepted.push(publish(payloads));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(accepted);
}
