import { describe, expect, it } from "vitest";
import { PrismErrorCode } from "./errors.js";
import type { GroupChange } from "./interfaces.js";
import type { Message } from "./message.js";
import { type HandedMessage, PartitionHandover } from "./partition-handover.js";
import { PartitionProgress } from "./partition-progress.js";
import { pushChannel } from "./push-channel.js";

function setup(checkpoints: Record<string, string> = {}, groupSize = 1) {
  const progress = new Map<number, PartitionProgress>();
  const progressOf = (partition: number) => {
    const found = progress.get(partition) ?? new PartitionProgress();
    progress.set(partition, found);
    return found;
  };
  const sought: Array<[number, bigint]> = [];
  const changes: GroupChange[] = [];
  const channel = pushChannel<HandedMessage>({ capacity: 10 });
  const handover = new PartitionHandover({
    driver: "kafka",
    topic: "orders",
    progress: progressOf,
    resume: async (partition) => checkpoints[partition],
    groupSize: async () => groupSize,
    heartbeatIntervalMs: 1,
    onGroupChange: (change) => void changes.push(change),
    seek: (partition, offset) => void sought.push([partition, offset]),
    drain: () => channel.drain(),
    closing: () => false,
  });
  const handed = (partition: number, offset: bigint): HandedMessage => ({
    message: { id: `${partition}-${offset}` } as Message,
    partition,
    offset,
    epoch: handover.epochOf(partition),
  });
  return { handover, progressOf, sought, changes, channel, handed };
}

describe("PartitionHandover", () => {
  it("positions assigned partitions right after the checkpoint at once, and says so", async () => {
    const { handover, sought, changes } = setup({ "0": "41" });
    handover.assign([1, 0]);
    expect(await handover.positions.get(0)).toBe(42n);
    expect(await handover.positions.get(1)).toBeUndefined();
    expect(sought).toEqual([[0, 42n]]);
    expect(changes).toEqual([{ kind: "assigned", partitions: ["0", "1"] }]);
    expect([...handover.owned]).toEqual([1, 0]);
  });

  it("fails positioning a partition whose checkpoint is not an offset", async () => {
    const { handover } = setup({ "0": "x" });
    handover.assign([0]);
    await expect(handover.positions.get(0)).rejects.toMatchObject({ code: PrismErrorCode.StateCorrupt });
  });

  it("on revocation takes back what waits, rewinds those partitions and tells the consumer", async () => {
    const { handover, progressOf, changes, channel, handed } = setup();
    handover.assign([0]);
    await handover.positions.get(0);
    progressOf(0).deliver(5n, true);
    progressOf(0).deliver(6n, true);
    channel.offer(handed(0, 5n));
    channel.offer(handed(0, 6n));
    await handover.revoke();
    expect(channel.size).toBe(0);
    expect(progressOf(0).next).toBe(5n);
    expect(handover.owned.size).toBe(0);
    expect(handover.generation.signal.aborted).toBe(true);
    expect(changes.at(-1)).toEqual({ kind: "revoking", partitions: ["0"] });
  });

  it("drops what was fetched before a rewind; delivers what comes after it", async () => {
    const { handover, channel, handed } = setup();
    handover.assign([0]);
    const messages = handover.messagesOf(channel, async () => {})[Symbol.asyncIterator]();
    channel.offer(handed(0, 7n));
    expect(handover.rewind(0, 3n)).toBe(true);
    channel.offer(handed(0, 3n));
    expect((await messages.next()).value).toMatchObject({ id: "0-3" });
    expect(handover.rewind(9, 1n)).toBe(false);
  });
});
