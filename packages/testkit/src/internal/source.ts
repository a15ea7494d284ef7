import type {
  AcknowledgedSubscriptions,
  Message,
  PubSubInterface,
  QueueInterface,
} from "@prism/consumer-core/driver";
import { metadataOf, payloadOf } from "./messages.js";
import { Reader } from "./reader.js";

/** A pub/sub or queue driver seen through the operations the shared cases need. */
export interface SourceUnderTest {
  readonly kind: "pubsub" | "queue";
  readonly driver: PubSubInterface | QueueInterface;
  publish(topic: string, index: number, extra?: Record<string, string>): Promise<void>;
  /** Opens a subscription (pub/sub) or receive loop (queue) for `group` and reads it in the background. */
  read(topic: string, group: string, member?: string): Promise<Reader>;
}

export function pubSubUnderTest(driver: PubSubInterface): SourceUnderTest {
  return {
    kind: "pubsub",
    driver,
    async publish(topic, index, extra) {
      await driver.publish(topic, payloadOf(index), metadataOf(index, extra));
    },
    async read(topic, group) {
      const abort = new AbortController();
      const iterable = await driver.subscribe(topic, group, { signal: abort.signal });
      return new Reader(
        iterable,
        abort,
        async () => {},
        () => driver.unsubscribe(topic, group),
      );
    },
  };
}

export function queueUnderTest(driver: QueueInterface): SourceUnderTest {
  let members = 0;
  return {
    kind: "queue",
    driver,
    async publish(topic, index, extra) {
      await driver.enqueue(topic, payloadOf(index), metadataOf(index, extra));
    },
    async read(topic, group, member) {
      const abort = new AbortController();
      const consumerId = member ?? `member-${++members}`;
      const iterable = await driver.receive(topic, { signal: abort.signal, group, consumerId });
      return new Reader(iterable, abort, (message: Message) => driver.acknowledge(message));
    },
  };
}

/**
 * A pub/sub driver's acknowledged subscriptions seen as a queue (publish = enqueue, a subscription of the
 * group = a receive), so the queue cases check them too.
 */
export function acknowledgedAsQueue(driver: PubSubInterface & AcknowledgedSubscriptions): QueueInterface {
  return {
    enqueue: (topic, payload, metadata) => driver.publish(topic, payload, metadata),
    async receive(topic, options = {}) {
      const { signal } = options;
      const iterable = await driver.subscribeAcknowledged(
        topic,
        options.group ?? "g",
        signal ? { signal } : {},
      );
      if (!iterable) {
        throw new Error(
          "subscribeAcknowledged resolved undefined: the driver keeps nothing pending in this mode",
        );
      }
      return iterable;
    },
    acknowledge: (message: Message) => driver.acknowledge(message),
    reject: (message: Message, requeue: boolean) => driver.reject(message, requeue),
  };
}
