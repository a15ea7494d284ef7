import { describe, expect, it } from "vitest";
import { DeliveryOrder, type DeliveryOrderOptions, Verdict } from "./delivery-order.js";

/** A guard whose world (members, connection epoch) the test controls; records what it reports. */
function guard(options: Partial<DeliveryOrderOptions> = {}) {
  const world = { alone: true, epoch: 0, position: undefined as number | undefined, shared: [] as string[] };
  const order = new DeliveryOrder({
    alone: () => world.alone,
    connectionEpoch: () => world.epoch,
    lastHandedOver: undefined,
    onPosition: (sequence) => {
      world.position = sequence;
    },
    onShared: (reason, unexpected) => world.shared.push(`${unexpected ? "!" : ""}${reason}`),
    ...options,
  });
  return { order, world };
}

const msg = (streamSequence: number, deliverySequence: number) => ({ streamSequence, deliverySequence });

describe("DeliveryOrder", () => {
  it("hands over contiguous deliveries and records the position", () => {
    const { order, world } = guard();
    order.opened({ streamSequence: 10, deliverySequence: 0 });
    expect(world.position).toBe(10);
    expect([order.inspect(msg(11, 1)), order.inspect(msg(14, 2))]).toEqual([
      Verdict.Deliver,
      Verdict.Deliver,
    ]);
    expect(world.position).toBe(14);
    expect(order.lastHandedOver).toBe(14);
  });

  it("skips redeliveries of what it handed over already", () => {
    const { order } = guard();
    order.opened({ streamSequence: 0, deliverySequence: 0 });
    order.inspect(msg(1, 1));
    order.inspect(msg(2, 2));
    expect(order.inspect(msg(1, 3))).toBe(Verdict.Skip);
    expect(order.inspect(msg(3, 4))).toBe(Verdict.Deliver);
  });

  it("repositions on a delivery gap across a lost connection, and right after opening", () => {
    const { order, world } = guard();
    order.opened({ streamSequence: 0, deliverySequence: 0 });
    order.inspect(msg(1, 1));
    world.epoch++; // disconnected and back
    expect(order.inspect(msg(5, 5))).toBe(Verdict.Reposition);
    expect(order.lastHandedOver).toBe(1);
    order.opened({ streamSequence: 1, deliverySequence: 0 });
    expect(order.inspect(msg(3, 2))).toBe(Verdict.Reposition); // the first message of a consume
    order.opened({ streamSequence: 1, deliverySequence: 0 });
    expect(order.inspect(msg(2, 1))).toBe(Verdict.Deliver);
    expect(world.shared).toEqual([]);
  });

  it("gives up ordering on a gap while the connection stayed up: another process reads the durable", () => {
    const { order, world } = guard();
    order.opened({ streamSequence: 0, deliverySequence: 0 });
    order.inspect(msg(1, 1));
    expect(order.inspect(msg(3, 3))).toBe(Verdict.Deliver);
    expect(order.ordered).toBe(false);
    expect(world.position).toBeUndefined();
    expect(order.inspect(msg(2, 7))).toBe(Verdict.Deliver); // from now on everything as it comes
    expect(world.shared).toEqual(["!another reader takes messages from the group's durable"]);
  });

  it("gives up after repositions that do not help", () => {
    const { order, world } = guard();
    const verdicts: Verdict[] = [];
    for (let i = 0; i < 4; i++) {
      order.opened({ streamSequence: 0, deliverySequence: 0 });
      verdicts.push(order.inspect(msg(2, 2)));
    }
    expect(verdicts).toEqual([Verdict.Reposition, Verdict.Reposition, Verdict.Reposition, Verdict.Deliver]);
    expect(world.shared).toHaveLength(1);
  });

  it("is shared, quietly, while another subscription of the group is open in this process", () => {
    const { order, world } = guard();
    order.opened({ streamSequence: 0, deliverySequence: 0 });
    world.alone = false;
    expect(order.inspect(msg(1, 4))).toBe(Verdict.Deliver);
    world.alone = true;
    expect(order.ordered).toBe(false); // for the rest of its life
    expect(world.shared).toEqual(["another subscription of the group is open in this process"]);
  });

  it("is shared when the durable is deleted under it", () => {
    const { order, world } = guard({ lastHandedOver: 5 });
    expect(order.lastHandedOver).toBe(5);
    order.lostDurable();
    expect(order.ordered).toBe(false);
    expect(order.lastHandedOver).toBeUndefined();
    expect(world.shared).toEqual(["!the group's durable was deleted by someone else"]);
  });
});
