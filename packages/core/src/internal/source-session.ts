import { isAcknowledgedSubscriptions, isBatchAcknowledgement } from "../capabilities.js";
import { describeError } from "../errors.js";
import type { GroupChange, QueueInterface } from "../interfaces.js";
import type { Logger } from "../logger.js";
import type { Message } from "../message.js";
import type { BoundSource } from "../slots.js";

/** How messages of a source that keeps them pending until settled are settled. */
export interface Settlement {
  /** Acknowledges messages together: one call for what finished in one event-loop turn. */
  acknowledgeAll(messages: readonly Message[]): Promise<void>;
  reject(message: Message, requeue: boolean): Promise<void>;
}

/** The driver's batch acknowledgement when it has one, else one `acknowledge` per message. */
function settlementOf(driver: Pick<QueueInterface, "acknowledge" | "reject">): Settlement {
  const acknowledgeAll = isBatchAcknowledgement(driver)
    ? (messages: readonly Message[]) => driver.acknowledgeBatch(messages)
    : (messages: readonly Message[]) =>
        messages.length === 1
          ? driver.acknowledge(messages[0] as Message)
          : Promise.all(messages.map((message) => driver.acknowledge(message))).then(() => {});
  return { acknowledgeAll, reject: (message, requeue) => driver.reject(message, requeue) };
}

/** The message source as one run reads it. */
export interface SourceSession {
  readonly messages: AsyncIterable<Message>;
  /**
   * Set when every message stays pending until settled — a queue, or a pub/sub source read through
   * `subscribeAcknowledged` — so the broker redelivers what a crashed member never settled.
   * Undefined for pub/sub sources whose position is the consumer's checkpoint alone.
   */
  readonly settlement: Settlement | undefined;
  /** Ends this process's membership of a pub/sub group at stop (durable group state is kept). */
  leave(): Promise<void>;
}

export interface OpenSourceOptions {
  readonly topic: string;
  readonly group: string;
  /** This process's id in the group (`{name}@{host}:{pid}:{random}`). */
  readonly member: string;
  readonly signal: AbortSignal;
  readonly onGroupChange: (change: GroupChange) => void | Promise<void>;
  readonly logger: Logger;
}

/**
 * Opens the source the way that is safe with replicas: a queue receives as this member; a pub/sub source
 * that can keep messages pending is read with explicit acknowledgements; any other pub/sub source is
 * subscribed to plainly (its position is the checkpoint).
 */
export async function openSource(source: BoundSource, o: OpenSourceOptions): Promise<SourceSession> {
  const { topic, group, signal, onGroupChange } = o;
  if (source.kind === "queue") {
    const driver = source.driver;
    const messages = await driver.receive(topic, { signal, group, consumerId: o.member, onGroupChange });
    return { messages, settlement: settlementOf(driver), leave: async () => {} };
  }
  const driver = source.driver;
  const leave = () =>
    driver
      .unsubscribe(topic, group)
      .catch((error) => o.logger.warn("unsubscribe failed", { error: describeError(error) }));
  if (isAcknowledgedSubscriptions(driver)) {
    const messages = await driver.subscribeAcknowledged(topic, group, { signal, onGroupChange });
    if (messages) return { messages, settlement: settlementOf(driver), leave };
  }
  const messages = await driver.subscribe(topic, group, { signal, onGroupChange });
  return { messages, settlement: undefined, leave };
}
