import type { Redis } from "ioredis";

/** Most ids one XACK carries. */
const maxIdsPerXack = 1024;

interface Waiting {
  readonly id: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Lane {
  readonly stream: string;
  readonly group: string;
  inFlight: boolean;
  waiting: Waiting[];
}

/**
 * Coalesces XACKs per stream and group: the first acknowledgement goes out at once; while its XACK is in
 * flight, the next ones wait and then go out together in one XACK. Each caller's promise settles with the
 * XACK that carried its id, so "acknowledged" still means Redis confirmed it — at one command (and one
 * socket write) per round trip instead of one per message.
 */
export class AcknowledgementBatcher {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly client: Redis) {}

  acknowledge(stream: string, group: string, id: string): Promise<void> {
    const key = `${stream}\u0000${group}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { stream, group, inFlight: false, waiting: [] };
      this.lanes.set(key, lane);
    }
    const queued = new Promise<void>((resolve, reject) => lane.waiting.push({ id, resolve, reject }));
    if (!lane.inFlight) this.send(key, lane);
    return queued;
  }

  private send(key: string, lane: Lane): void {
    if (lane.waiting.length === 0) {
      this.lanes.delete(key);
      return;
    }
    const batch = lane.waiting.splice(0, maxIdsPerXack);
    lane.inFlight = true;
    this.client
      .call("XACK", lane.stream, lane.group, ...batch.map((waiting) => waiting.id))
      .then(
        () => {
          for (const waiting of batch) waiting.resolve();
        },
        (error: unknown) => {
          for (const waiting of batch) waiting.reject(error);
        },
      )
      .finally(() => {
        lane.inFlight = false;
        this.send(key, lane);
      });
  }
}
