import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { positionedMessage as message } from "../../test/helpers.js";
import { silentLogger } from "../logger.js";
import type { Position } from "../message.js";
import type { TransactionalState } from "../transactional-state.js";
import { LedgerPruner } from "./ledger-pruner.js";

/** Records what the pruner asks the store to forget (the store's own behaviour is tested in its driver). */
function recordingStore(): TransactionalState & { forgotten: Position[][] } {
  const forgotten: Position[][] = [];
  return {
    forgotten,
    beginTransaction: () => Promise.reject(new Error("not used")),
    forgetRecorded: async (_key, positions) => {
      forgotten.push([...positions]);
    },
  };
}

describe("LedgerPruner", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("forgets finished positions a written checkpoint covers, a minute after that checkpoint", async () => {
    const store = recordingStore();
    const pruner = new LedgerPruner(store, "k", silentLogger);
    pruner.done([message("0", 1), message("0", 2), message("1", 7), message("0", 5)]);
    await pruner.written({ "0": 2, "1": 6 });
    expect(store.forgotten).toEqual([]);
    vi.advanceTimersByTime(60_000);
    await pruner.written({ "0": 2, "1": 6 });
    expect(store.forgotten).toEqual([
      [
        { partition: "0", offset: 1 },
        { partition: "0", offset: 2 },
      ],
    ]);
    // Not covered yet: 1/7 and 0/5 wait for a later checkpoint.
    await pruner.written({ "0": 5, "1": 7 }, true);
    expect(store.forgotten[1]).toEqual([
      { partition: "1", offset: 7 },
      { partition: "0", offset: 5 },
    ]);
  });

  it("never forgets a position this member has not finished, whatever the checkpoint says", async () => {
    const store = recordingStore();
    const pruner = new LedgerPruner(store, "k", silentLogger);
    // Another member's checkpoint far ahead (a shared group): a message this member never finished
    // may still be redelivered, so its record must stay.
    await pruner.written({ "0": 1000 }, true);
    expect(store.forgotten).toEqual([]);
  });
});
