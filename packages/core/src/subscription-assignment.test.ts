import { describe, expect, it } from "vitest";
import { assignBySubscription } from "./subscription-assignment.js";

describe("assignBySubscription", () => {
  it("gives each topic's partitions only to its subscribers, round-robin in member order", () => {
    const partitions: Record<string, number[]> = { orders: [2, 0, 1], audit: [0, 1] };
    const assignment = assignBySubscription(
      [
        { memberId: "b", topics: ["orders"] },
        { memberId: "a", topics: ["orders", "audit"] },
        { memberId: "c", topics: ["audit"] },
      ],
      (topic) => partitions[topic] ?? [],
    );
    // Topics in name order (audit, orders); the turn carries on from one topic to the next.
    expect(Object.fromEntries(assignment)).toEqual({
      a: { audit: [0], orders: [0, 2] },
      b: { orders: [1] },
      c: { audit: [1] },
    });
  });

  it("assigns nothing to a member whose topics have no partitions", () => {
    expect(assignBySubscription([{ memberId: "a", topics: ["empty"] }], () => []).size).toBe(0);
  });
});
