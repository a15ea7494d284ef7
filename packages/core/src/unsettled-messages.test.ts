import { describe, expect, it, vi } from "vitest";
import { isPrismError, PrismErrorCode } from "./errors.js";
import type { Message } from "./message.js";
import { UnsettledMessages } from "./unsettled-messages.js";

const message = (id: string): Message =>
  ({ id, topic: "orders", payload: new Uint8Array(), metadata: {}, deliveryAttempt: 1 }) as Message;

describe("UnsettledMessages", () => {
  it("settles by message once, and names a message it never handed out", () => {
    const unsettled = new UnsettledMessages<number>();
    const receiver = unsettled.receiver();
    const first = message("m1");
    receiver.handOut(first, 17);
    expect(unsettled.settle(first)).toBe(17);
    expect(unsettled.settle(first)).toBeUndefined();
    let error: unknown;
    try {
      unsettled.settleOrThrow(first, "acknowledge");
    } catch (e) {
      error = e;
    }
    expect(isPrismError(error) && error.code).toBe(PrismErrorCode.BackendRejected);
    expect((error as Error).message).toBe(
      `cannot acknowledge message m1 on "orders": it was not received from this driver's receive(), or it was settled already`,
    );
  });

  it("renews the leases of what a running receive holds, stops when it ends, and still settles afterwards", () => {
    vi.useFakeTimers();
    try {
      const renewed: number[][] = [];
      const unsettled = new UnsettledMessages<number>();
      const receiver = unsettled.receiver({
        renewEveryMs: 1000,
        renew: (handles) => renewed.push([...handles]),
      });
      const [a, b, c] = [message("a"), message("b"), message("c")];
      receiver.handOut(a, 1);
      receiver.handOut(b, 2);
      receiver.handOut(c, 3);
      unsettled.settle(b);
      vi.advanceTimersByTime(1000);
      expect(renewed).toEqual([[1, 3]]);
      expect(receiver.stop()).toEqual([1, 3]);
      vi.advanceTimersByTime(5000);
      expect(renewed).toHaveLength(1);
      // The consumer finishes what it holds after its reader stopped: settling still works.
      expect(unsettled.settle(c)).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
