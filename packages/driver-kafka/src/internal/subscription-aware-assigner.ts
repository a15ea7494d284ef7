import { assignBySubscription } from "@prism/consumer-core/driver";
import { AssignerProtocol, type PartitionAssigner } from "kafkajs";

const version = 0;

/** kafkajs's side of core's `assignBySubscription` (its own round-robin ignores what members subscribe to). */
export const subscriptionAwareAssigner: PartitionAssigner = ({ cluster }) => ({
  name: "PrismSubscriptionAware",
  version,
  async assign({ members }) {
    const subscriptions = members.map(({ memberId, memberMetadata }) => ({
      memberId,
      topics: AssignerProtocol.MemberMetadata.decode(memberMetadata)?.topics ?? [],
    }));
    // The leader only has metadata for its own topics; fetch it for every member's.
    await cluster.addMultipleTargetTopics([...new Set(subscriptions.flatMap((s) => s.topics))]);
    const assignment = assignBySubscription(subscriptions, (topic) =>
      cluster.findTopicPartitionMetadata(topic).map((metadata) => metadata.partitionId),
    );
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
