import type { CheckpointLookup } from "@prism/consumer-core/driver";
import type { Admin } from "kafkajs";

/**
 * Per partition of `topic`: the high watermark minus where `group` continues — the later of the offset
 * the group committed to Kafka (queue mode), the consumer's checkpoint in its state store (`checkpoint`,
 * pub/sub mode's only record) and the partition's oldest retained offset.
 */
export async function groupLag(
  admin: Admin,
  topic: string,
  group: string,
  checkpoint: CheckpointLookup | undefined,
): Promise<Record<string, number>> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
  ]);
  const committedOf = new Map<number, bigint>();
  for (const partition of committed.find((t) => t.topic === topic)?.partitions ?? []) {
    committedOf.set(partition.partition, BigInt(partition.offset));
  }
  const lag: Record<string, number> = {};
  for (const end of ends) {
    const stored = await checkpoint?.(String(end.partition));
    let next = BigInt(end.low);
    const groupNext = committedOf.get(end.partition) ?? -1n;
    if (groupNext > next) next = groupNext;
    if (stored !== undefined && BigInt(stored) + 1n > next) next = BigInt(stored) + 1n;
    const behind = BigInt(end.high) - next;
    lag[String(end.partition)] = behind > 0n ? Number(behind) : 0;
  }
  return lag;
}
