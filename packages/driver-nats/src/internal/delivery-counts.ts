import type { JsMsg } from "@nats-io/jetstream";

/** Unsettled queue messages remembered at most; the oldest are forgotten first. */
const defaultLimit = 10_000;

/**
 * How often this driver has handed over each queue message not yet settled. NATS 2.9 undercounts a
 * message that was nak'd while the pull request of an ended iteration was still open on the server: it
 * reports the earlier delivery count again. What was seen here corrects that within this process.
 */
export class DeliveryCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit = defaultLimit) {}

  /** The delivery count to report for `jsMsg` as it is handed over; remembered until it is settled. */
  handOver(jsMsg: JsMsg): number {
    const key = keyOf(jsMsg);
    const count = Math.max(jsMsg.info.deliveryCount, (this.counts.get(key) ?? 0) + 1);
    this.counts.delete(key); // re-inserted as the newest
    this.counts.set(key, count);
    if (this.counts.size > this.limit) {
      const oldest = this.counts.keys().next().value;
      if (oldest !== undefined) this.counts.delete(oldest);
    }
    return count;
  }

  /** Acknowledged or terminated: it is not delivered again. */
  settled(jsMsg: JsMsg): void {
    this.counts.delete(keyOf(jsMsg));
  }
}

function keyOf(jsMsg: JsMsg): string {
  const { stream, consumer, streamSequence } = jsMsg.info;
  return `${stream}\u0000${consumer}\u0000${streamSequence}`;
}
