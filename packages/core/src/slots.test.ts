import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { isPrismError, PrismErrorCode, SlotBindingError } from "./errors.js";
import { bindSlots } from "./slots.js";

class RedisLikeKv {
  async set() {}
  async get() {
    return undefined;
  }
  async delete() {}
}

function bindingError(run: () => unknown): SlotBindingError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SlotBindingError);
    expect(isPrismError(error) && error.code).toBe(PrismErrorCode.SlotBinding);
    return error as SlotBindingError;
  }
  throw new Error("expected a SlotBindingError");
}

describe("bindSlots", () => {
  it("binds memstore to every slot, as pub/sub by default and as a queue when asked", () => {
    const store = new MemStore();
    expect(bindSlots(store, store, store).messageSource.kind).toBe("pubsub");
    expect(bindSlots(store, store, undefined, { sourceInterface: "queue" }).messageSource.kind).toBe("queue");
  });

  it("uses the queue interface of a source that only has that one", () => {
    const store = new MemStore();
    const queueOnly = {
      enqueue: store.enqueue.bind(store),
      receive: store.receive.bind(store),
      acknowledge: store.acknowledge.bind(store),
      reject: store.reject.bind(store),
    };
    expect(bindSlots(queueOnly, store).messageSource.kind).toBe("queue");
  });

  it("names the slot, the driver and the missing methods", () => {
    const store = new MemStore();
    const error = bindingError(() => bindSlots(store, new RedisLikeKv()));
    expect(error.message).toBe(
      'slots.state_store: driver "RedisLikeKv" does not implement KeyValueBasicInterface (missing: exists)',
    );
    expect(error).toMatchObject({ slot: "slots.state_store", driver: "RedisLikeKv", missing: ["exists"] });
  });

  it("uses the configured driver name when there is one", () => {
    const store = new MemStore();
    const error = bindingError(() =>
      bindSlots({ publish() {}, subscribe() {} }, store, undefined, {
        driverNames: { messageSource: "nats" },
      }),
    );
    expect(error.message).toBe(
      'slots.message_source: driver "nats" does not implement PubSubInterface or QueueInterface (missing: unsubscribe)',
    );
  });

  it("rejects a queue interface asked of a pub/sub-only driver, and a DLQ that is not a queue", () => {
    const store = new MemStore();
    const pubsubOnly = { publish() {}, subscribe() {}, unsubscribe() {} };
    expect(
      bindingError(() => bindSlots(pubsubOnly, store, undefined, { sourceInterface: "queue" })).message,
    ).toBe(
      'slots.message_source: driver "(an object)" does not implement QueueInterface ' +
        "(missing: enqueue, receive, acknowledge, reject)",
    );
    expect(bindingError(() => bindSlots(store, store, pubsubOnly)).message).toMatch(
      /^slots\.dead_letter_queue: driver .* does not implement QueueInterface \(missing: enqueue, receive, acknowledge, reject\)$/,
    );
    expect(bindingError(() => bindSlots(undefined, store)).message).toMatch(
      /^slots\.message_source: driver "undefined"/,
    );
  });
});
