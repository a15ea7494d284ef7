import { describe, expect, it } from "vitest";
import { partitionLag } from "./partition-lag.js";

describe("partitionLag", () => {
  it("counts from the latest of the committed offset, the checkpoint and the oldest retained offset", async () => {
    const ends = [
      { partition: 0, low: 0n, high: 10n },
      { partition: 1, low: 5n, high: 10n },
      { partition: 2, low: 0n, high: 10n },
      { partition: 3, low: 0n, high: 10n },
    ];
    const committed = new Map([
      [0, 4n],
      [2, 3n],
      [3, -1n],
    ]);
    const checkpoints: Record<string, string> = { "2": "7", "3": "12" };
    const lag = await partitionLag(ends, committed, async (partition) => checkpoints[partition]);
    // 0: committed 4; 1: nothing kept below 5; 2: checkpoint 7 is later than the commit; 3: never negative.
    expect(lag).toEqual({ "0": 6, "1": 5, "2": 2, "3": 0 });
  });
});
