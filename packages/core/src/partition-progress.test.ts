import { describe, expect, it } from "vitest";
import { PartitionProgress } from "./partition-progress.js";

describe("PartitionProgress", () => {
  it("commits up to the first unsettled offset, and skips offsets settled out of order", () => {
    const progress = new PartitionProgress();
    for (const offset of [0n, 1n, 2n]) expect(progress.deliver(offset, true)).toBe(1);
    progress.settle(2n);
    expect(progress.committable()).toBe(0n);
    expect(progress.isSettled(2n)).toBe(true);
    progress.settle(0n);
    expect(progress.committable()).toBe(1n);
    progress.settle(1n);
    expect(progress.committable()).toBe(3n);
    expect(progress.next).toBe(3n);
  });

  it("counts deliveries of an offset again, and an undelivered one as not delivered", () => {
    const progress = new PartitionProgress();
    progress.deliver(5n, true);
    expect(progress.deliver(5n, true)).toBe(2);
    progress.undeliver(5n);
    expect(progress.next).toBe(5n);
    expect(progress.deliver(5n, true)).toBe(2);
    progress.forgetPosition();
    expect(progress.next).toBeUndefined();
    expect(progress.committable()).toBe(5n);
  });

  it("tracks no settlement in pub/sub mode", () => {
    const progress = new PartitionProgress();
    expect(progress.deliver(7n, false)).toBe(1);
    expect(progress.committable()).toBeUndefined();
  });
});
