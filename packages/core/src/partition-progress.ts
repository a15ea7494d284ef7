/**
 * What one subscriber group has been given of one partition: the next offset to hand out, the offsets
 * handed out but not settled (queue mode), those settled out of order, and how often each offset was
 * delivered. It outlives a single client consumer, so a new receiver in the same driver continues the
 * delivery count and skips what was settled.
 */
export class PartitionProgress {
  /** Offset after the last message handed over; undefined until positioned. */
  next: bigint | undefined;
  /** Unsettled offsets and their delivery counts. */
  private readonly unsettled = new Map<bigint, number>();
  /** Settled offsets above the lowest unsettled one (acknowledged out of order). */
  private readonly settledAhead = new Set<bigint>();
  /** Offset after the highest settled message. */
  private settledUpTo: bigint | undefined;

  /** Records a hand-over and returns the delivery count of that offset (1 for the first). */
  deliver(offset: bigint, trackSettlement: boolean): number {
    this.next = offset + 1n;
    if (!trackSettlement) return 1;
    const count = (this.unsettled.get(offset) ?? 0) + 1;
    this.unsettled.set(offset, count);
    return count;
  }

  /**
   * A delivery taken back before the reader got it (its partition is being given up): the offset comes
   * again as if it had not been delivered.
   */
  undeliver(offset: bigint): void {
    if (this.next === undefined || offset < this.next) this.next = offset;
    const count = this.unsettled.get(offset);
    if (count === undefined) return;
    if (count <= 1) this.unsettled.delete(offset);
    else this.unsettled.set(offset, count - 1);
  }

  /** Marks an offset done: it is not delivered again. */
  settle(offset: bigint): void {
    this.unsettled.delete(offset);
    this.settledAhead.add(offset);
    if (this.settledUpTo === undefined || offset + 1n > this.settledUpTo) this.settledUpTo = offset + 1n;
    const floor = this.committable();
    if (floor === undefined) return;
    for (const settled of this.settledAhead) if (settled < floor) this.settledAhead.delete(settled);
  }

  /** The offset a Kafka group commit may move to: the first unsettled one, or after the last settled. */
  committable(): bigint | undefined {
    let lowest: bigint | undefined;
    for (const offset of this.unsettled.keys()) if (lowest === undefined || offset < lowest) lowest = offset;
    return lowest ?? this.settledUpTo;
  }

  /** Whether `offset` was settled already (a refetch from an older position must skip it). */
  isSettled(offset: bigint): boolean {
    if (this.unsettled.has(offset)) return false;
    const floor = this.committable();
    return (floor !== undefined && offset < floor) || this.settledAhead.has(offset);
  }

  /**
   * The partition moved away or its receiver stopped: the next position is unknown. Unsettled offsets are
   * kept (they still are unsettled, and their delivery counts continue if they come back here).
   */
  forgetPosition(): void {
    this.next = undefined;
  }
}
