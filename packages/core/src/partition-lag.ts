import type { CheckpointLookup } from "./interfaces.js";

/** One partition's retained offsets: the oldest (`low`) and the next to be written (`high`). */
export interface PartitionEnds {
  readonly partition: number;
  readonly low: bigint;
  readonly high: bigint;
}

/**
 * Per partition: the high watermark minus where a group continues — the later of the offset it committed
 * to the broker (`committed`, queue mode; absent or negative when none), the consumer's checkpoint in
 * its state store (`checkpoint`, pub/sub mode's only record) and the partition's oldest retained offset.
 */
export async function partitionLag(
  ends: readonly PartitionEnds[],
  committed: ReadonlyMap<number, bigint>,
  checkpoint: CheckpointLookup | undefined,
): Promise<Record<string, number>> {
  const lag: Record<string, number> = {};
  for (const end of ends) {
    const stored = await checkpoint?.(String(end.partition));
    let next = end.low;
    const groupNext = committed.get(end.partition) ?? -1n;
    if (groupNext > next) next = groupNext;
    if (stored !== undefined && BigInt(stored) + 1n > next) next = BigInt(stored) + 1n;
    const behind = end.high - next;
    lag[String(end.partition)] = behind > 0n ? Number(behind) : 0;
  }
  return lag;
}
