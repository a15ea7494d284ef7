import type { GroupPartitionsAssigner } from "@platformatic/kafka";
import { assignBySubscription } from "@prism/consumer-core/driver";

/** @platformatic/kafka's side of core's `assignBySubscription` (its round-robin ignores what members subscribe to). */
export const subscriptionAwareAssigner: GroupPartitionsAssigner = (_current, members, _topics, metadata) => {
  const subscribed = [...members].map(([memberId, member]) => ({ memberId, topics: member.topics ?? [] }));
  const assignment = assignBySubscription(subscribed, (topic) => {
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    return Array.from({ length: count }, (_, partition) => partition);
  });
  return subscribed.map(({ memberId }) => ({
    memberId,
    assignments: new Map(
      Object.entries(assignment.get(memberId) ?? {}).map(([topic, partitions]) => [
        topic,
        { topic, partitions },
      ]),
    ),
  }));
};
