import { describeError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Message, Offset, Position } from "../message.js";
import { compareOffsets } from "../offsets.js";
import type { TransactionalState } from "../transactional-state.js";

/**
 * How long a record stays after a written checkpoint covers it. A member that lost a partition may still
 * finish (and commit) a message its next owner resumed before; within this time the record is there to
 * make that owner skip it.
 */
const graceMs = 60_000;
/**
 * Finished positions kept waiting for a checkpoint at most (with `autoCommit: false` and no `commit()`
 * none comes); older ones are left to the store's retention.
 */
const maxWaiting = 100_000;

/**
 * Keeps the record of processed positions (transactional mode) bounded. A message's record may go once
 * this member has finished it (acknowledged at the source) and a checkpoint this member wrote covers it:
 * then neither the broker nor a resume from the checkpoint delivers it again. Only positions this member
 * finished count — another member's later checkpoint says nothing of a message the broker may still
 * redeliver (a shared JetStream or Redis Streams group).
 */
export class LedgerPruner {
  private finished: Position[] = [];
  private readonly covered: Array<{ readonly at: number; readonly positions: Position[] }> = [];

  constructor(
    private readonly store: TransactionalState,
    private readonly key: string,
    private readonly logger: Logger,
  ) {}

  /** Messages this member finished (processed, skipped, filtered or given up) and acknowledged. */
  done(messages: readonly Message[]): void {
    for (const message of messages) if (message.position) this.finished.push(message.position);
    if (this.finished.length > 2 * maxWaiting) this.finished = this.finished.slice(-maxWaiting);
  }

  /**
   * A checkpoint was written with this member's `offsets` (its own, before merging): what they cover is
   * forgotten after the grace time (`now` for a member leaving, which has committed its last checkpoint).
   */
  written(offsets: Readonly<Record<string, Offset>>, leaving = false): Promise<void> {
    const now = Date.now();
    const covered: Position[] = [];
    const kept: Position[] = [];
    for (const position of this.finished) {
      const checkpoint = offsets[position.partition];
      if (checkpoint === undefined) {
        kept.push(position);
        continue;
      }
      // Offsets core cannot order are left to the store's retention.
      const order = compareOffsets(position.offset, checkpoint);
      if (order !== undefined) (order <= 0 ? covered : kept).push(position);
    }
    this.finished = kept;
    if (covered.length > 0) this.covered.push({ at: now, positions: covered });
    const due: Position[] = [];
    while (this.covered.length > 0 && (leaving || (this.covered[0]?.at ?? now) <= now - graceMs)) {
      due.push(...(this.covered.shift()?.positions ?? []));
    }
    if (due.length === 0) return Promise.resolve();
    return this.store.forgetRecorded(this.key, due).catch((error) => {
      this.logger.warn("forgetting processed positions failed; they are kept until the store's retention", {
        key: this.key,
        error: describeError(error),
      });
    });
  }
}
