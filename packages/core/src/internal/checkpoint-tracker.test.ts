import { describe, expect, it } from "vitest";
import { positionedMessage as message } from "../../test/helpers.js";
import { CheckpointTracker } from "./checkpoint-tracker.js";

describe("CheckpointTracker", () => {
  it("does not move past a message still in flight, however many later ones finish", () => {
    const tracker = new CheckpointTracker({ offsets: {}, offset: null, lastMessageId: null });
    const entries = [1, 2, 3, 4].map((offset) => tracker.begin(message("0", offset)));
    tracker.finish(entries[0] as never);
    expect(tracker.offsets).toEqual({ "0": 1 });
    tracker.finish(entries[2] as never);
    tracker.finish(entries[3] as never);
    expect(tracker.offsets).toEqual({ "0": 1 });
    expect(tracker.lastMessageId).toBe("0/1");
    tracker.finish(entries[1] as never);
    expect(tracker.offsets).toEqual({ "0": 4 });
    expect(tracker.lastMessageId).toBe("0/4");
  });

  it("tracks partitions independently and keeps stored ones it has not seen", () => {
    const tracker = new CheckpointTracker({ offsets: { "9": 99 }, offset: 99, lastMessageId: "9/99" });
    const a = tracker.begin(message("0", 10));
    const b = tracker.begin(message("1", 20));
    tracker.finish(b);
    expect(tracker.offsets).toEqual({ "9": 99, "1": 20 });
    tracker.finish(a);
    expect(tracker.offsets).toEqual({ "9": 99, "1": 20, "0": 10 });
  });

  it("counts versions only when the checkpoint moves", () => {
    const tracker = new CheckpointTracker({ offsets: {}, offset: null, lastMessageId: null });
    const first = tracker.begin(message("0", 1));
    const second = tracker.begin(message("0", 2));
    tracker.finish(second);
    expect(tracker.version).toBe(0);
    tracker.finish(first);
    expect(tracker.version).toBe(1);
  });

  it("stays correct across many messages (the queue compacts)", () => {
    const tracker = new CheckpointTracker({ offsets: {}, offset: null, lastMessageId: null });
    const held = tracker.begin(message("0", 0));
    const rest = Array.from({ length: 5000 }, (_, i) => tracker.begin(message("0", i + 1)));
    for (const entry of rest) tracker.finish(entry);
    expect(tracker.offsets).toEqual({});
    tracker.finish(held);
    expect(tracker.offsets).toEqual({ "0": 5000 });
    const more = Array.from({ length: 3000 }, (_, i) => tracker.begin(message("0", 5001 + i)));
    for (const entry of more) tracker.finish(entry);
    expect(tracker.offsets).toEqual({ "0": 8000 });
  });
});
