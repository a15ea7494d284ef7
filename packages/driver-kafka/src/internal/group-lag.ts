import { type CheckpointLookup, partitionLag } from "@prism/consumer-core/driver";
import type { Admin } from "kafkajs";

/** Per partition of `topic`: how far `group` is behind (core's `partitionLag`, from kafkajs's offsets). */
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
  return partitionLag(
    ends.map((end) => ({ partition: end.partition, low: BigInt(end.low), high: BigInt(end.high) })),
    committedOf,
    checkpoint,
  );
}
