import type { Pool } from "pg";

/** Most rows one DELETE removes. */
const maxIdsPerDelete = 1024;

interface Waiting {
  readonly id: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Coalesces acknowledgements: the first goes out at once; while its DELETE is in flight, the next ones
 * wait and then go out together in one `DELETE … WHERE id = ANY(…)`. Each caller's promise settles with
 * the statement that deleted its row, so "acknowledged" still means committed — at one statement (and one
 * commit) per round trip instead of one per message.
 */
export class AcknowledgementBatcher {
  private inFlight = false;
  private waiting: Waiting[] = [];

  constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  acknowledge(id: string): Promise<void> {
    const queued = new Promise<void>((resolve, reject) => this.waiting.push({ id, resolve, reject }));
    if (!this.inFlight) this.send();
    return queued;
  }

  private send(): void {
    if (this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, maxIdsPerDelete);
    this.inFlight = true;
    this.pool
      .query(`DELETE FROM ${this.table} WHERE id = ANY($1::bigint[])`, [batch.map((waiting) => waiting.id)])
      .then(
        () => {
          for (const waiting of batch) waiting.resolve();
        },
        (error: unknown) => {
          for (const waiting of batch) waiting.reject(error);
        },
      )
      .finally(() => {
        this.inFlight = false;
        this.send();
      });
  }
}
