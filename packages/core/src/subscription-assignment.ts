/** A group member and the topics it subscribes to, as the group protocol tells the leader. */
export interface SubscribedMember {
  readonly memberId: string;
  readonly topics: readonly string[];
}

/**
 * Round-robin, but each topic's partitions go only to members subscribed to that topic. The Kafka clients'
 * own round-robin assigners assume every member subscribes to the same topics and hand partitions of the
 * leader's topics to all members, so two consumers that share a group name but read different topics
 * would each be given partitions they never fetch. Returns, per member, its partitions per topic.
 */
export function assignBySubscription(
  members: readonly SubscribedMember[],
  partitionsOf: (topic: string) => readonly number[],
): Map<string, Record<string, number[]>> {
  const topics = [...new Set(members.flatMap((member) => member.topics))].sort();
  const assignment = new Map<string, Record<string, number[]>>();
  let turn = 0;
  for (const topic of topics) {
    const candidates = members
      .filter((member) => member.topics.includes(topic))
      .map((member) => member.memberId)
      .sort();
    const partitions = [...partitionsOf(topic)].sort((a, b) => a - b);
    for (const partition of partitions) {
      const member = candidates[turn++ % candidates.length] as string;
      const topicsOfMember = assignment.get(member) ?? {};
      topicsOfMember[topic] = [...(topicsOfMember[topic] ?? []), partition];
      assignment.set(member, topicsOfMember);
    }
  }
  return assignment;
}
