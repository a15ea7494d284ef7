import { AssignerProtocol, type PartitionAssigner } from "kafkajs";

const version = 0;

/**
 * Round-robin, but each topic's partitions go only to members subscribed to that topic. kafkajs's own
 * round-robin assigner assumes every member subscribes to the same topics and hands partitions of the
 * leader's topics to all members, so two consumers that share a group name but read different topics
 * would each be given partitions they never fetch.
 */
export const subscriptionAwareAssigner: PartitionAssigner = ({ cluster }) => ({
  name: "PrismSubscriptionAware",
  version,
  async assign({ members }) {
    const subscriptions = members.map(({ memberId, memberMetadata }) => ({
      memberId,
      topics: AssignerProtocol.MemberMetadata.decode(memberMetadata)?.topics ?? [],
    }));
    const topics = [...new Set(subscriptions.flatMap((s) => s.topics))].sort();
    // The leader only has metadata for its own topics; fetch it for every member's.
    await cluster.addMultipleTargetTopics(topics);
    const assignment = new Map<string, Record<string, number[]>>();
    let turn = 0;
    for (const topic of topics) {
      const candidates = subscriptions
        .filter((s) => s.topics.includes(topic))
        .map((s) => s.memberId)
        .sort();
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((metadata) => metadata.partitionId)
        .sort((a, b) => a - b);
      for (const partition of partitions) {
        const member = candidates[turn++ % candidates.length] as string;
        const topicsOfMember = assignment.get(member) ?? {};
        topicsOfMember[topic] = [...(topicsOfMember[topic] ?? []), partition];
        assignment.set(member, topicsOfMember);
      }
    }
    return members.map(({ memberId }) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version,
        assignment: assignment.get(memberId) ?? {},
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: "PrismSubscriptionAware",
      metadata: AssignerProtocol.MemberMetadata.encode({ version, topics, userData: Buffer.alloc(0) }),
    };
  },
});
