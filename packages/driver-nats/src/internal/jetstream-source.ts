import type { JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  type CheckpointLookup,
  type Logger,
  type Message,
  type Metadata,
  type Offset,
  PrismError,
  PrismErrorCode,
  type ReceiveOptions,
  type SubscribeOptions,
  UnsettledMessages,
} from "@prism/consumer-core/driver";
import { mapNatsError } from "../errors.js";
import type { ConnectionHealth } from "./connection-health.js";
import { DeliveryCounts } from "./delivery-counts.js";
import { DeliveryOrder, Verdict } from "./delivery-order.js";
import { type DurableRef, type DurableSettings, Durables } from "./durables.js";
import { toHeaders } from "./headers.js";
import { isMissingResource, readDurable } from "./jetstream-reader.js";
import { durableNameFor } from "./names.js";
import { StreamBrowser } from "./stream-browser.js";
import { StreamResolver, type StreamSettings } from "./stream-resolver.js";
import { finishing, type Subscriptions } from "./subscriptions.js";

/** The group of `receive` calls that name none. */
export const defaultQueueGroup = "prism";

export interface JetStreamSettings extends StreamSettings, DurableSettings {
  readonly fetchBatch: number;
  readonly nakDelayMs: number;
  readonly logger: Logger;
}

type Kind = "subscription" | "queue";

/**
 * Pub/sub and queue over JetStream. Each subject's messages live in a stream; each group reads through
 * its own durable pull consumer. Pub/sub acknowledges a message as it is handed over (the consumer's
 * checkpoint and `resumeAfter` make that at-least-once) and, read by one subscription, hands over in
 * stream order without gaps (`DeliveryOrder`); the queue leaves settlement to its caller.
 */
export class JetStreamSource {
  private readonly streams: StreamResolver;
  private readonly durables: Durables;
  /** Reads and deletes stored messages and reads durables' lag, without consuming. */
  readonly browser: StreamBrowser;
  /** Checkpoint lookups from `resumeAfter`, per topic and group (kind-less: `resumeAfter` has none). */
  private readonly resumes = new Map<string, CheckpointLookup>();
  /** Per kind, topic and group: the durable as the first subscriber made it ready (created, positioned). */
  private readonly ready = new Map<string, Promise<DurableRef>>();
  /**
   * Per topic and group: the last stream sequence this process's pub/sub subscriptions handed over (or the
   * checkpoint the durable was moved after), while they kept stream order; where the next one starts.
   */
  private readonly positions = new Map<string, number>();
  /** Queue messages handed over and not yet settled, with what their receive holds. */
  private readonly unsettled = new UnsettledMessages<JsMsg>();
  private readonly deliveries = new DeliveryCounts();

  constructor(
    private readonly connection: NatsConnection,
    jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly subscriptions: Subscriptions,
    private readonly health: ConnectionHealth,
    private readonly settings: JetStreamSettings,
  ) {
    this.streams = new StreamResolver(jsm, settings);
    this.durables = new Durables(jsm, settings);
    this.browser = new StreamBrowser(jsm, this.streams);
  }

  /** Resolves with the stream sequence once JetStream has stored the message. */
  async publish(subject: string, payload: Uint8Array, metadata: Metadata): Promise<string> {
    try {
      await this.streams.streamFor(subject);
      const headers = toHeaders(metadata);
      const ack = await this.js.publish(subject, payload, headers ? { headers } : {});
      return String(ack.seq);
    } catch (error) {
      const mapped = mapNatsError(error, `publish to "${subject}"`);
      // Nobody answered: the stream may have been deleted, so the next publish looks for it again.
      if (mapped.retryable) this.streams.forget(subject);
      throw mapped;
    }
  }

  /**
   * Reads `topic` as `group` (a durable consumer) and acknowledges each message as it is handed over.
   * The first subscription after `resumeAfter` moves the durable right after the checkpoint.
   */
  async subscribe(topic: string, group: string, options: SubscribeOptions): Promise<AsyncIterable<Message>> {
    const durable = await this.prepare("subscription", topic, group);
    // Acks are sent together once per event-loop turn: nats.js writes to the socket once per microtask
    // checkpoint, so acking inside the consumer's per-message chain costs a write per message.
    let unacked: JsMsg[] = [];
    const ackAll = () => {
      const batch = unacked;
      unacked = [];
      try {
        for (const jsMsg of batch) jsMsg.ack();
      } catch {
        // The connection closed meanwhile: JetStream delivers these again, and a restart resumes from
        // the consumer's checkpoint, which skips the ones processed.
      }
    };
    return this.read("subscription", durable, group, options.signal, (jsMsg, message) => {
      if (unacked.push(jsMsg) === 1) setImmediate(ackAll);
      return message;
    });
  }

  /**
   * Reads `queue` as `options.group`; every message stays pending until acknowledged or rejected. While
   * the receive runs, the messages it handed over are kept from redelivery (`working()` every third of
   * `ack_wait`): only a stopped or dead member's messages come to the others, after `ack_wait`. (The
   * `ack_wait` of a message pulled ahead runs from the pull: `fetchBatch` bounds how many wait.)
   */
  async receive(queue: string, options: ReceiveOptions): Promise<AsyncIterable<Message>> {
    const group = options.group ?? defaultQueueGroup;
    const durable = await this.prepare("queue", queue, group);
    const receiver = this.unsettled.receiver({
      renewEveryMs: this.settings.ackWaitMs / 3,
      renew: (messages) => {
        for (const jsMsg of messages) jsMsg.working();
      },
    });
    const handOver = (jsMsg: JsMsg, pulled: Message) => {
      const deliveryAttempt = this.deliveries.handOver(jsMsg);
      const message = deliveryAttempt === pulled.deliveryAttempt ? pulled : { ...pulled, deliveryAttempt };
      receiver.handOut(message, jsMsg);
      return message;
    };
    return this.read("queue", durable, group, options.signal, handOver, () => receiver.stop());
  }

  /**
   * Acknowledges many messages: each ack goes out without waiting for its confirmation, and one flush
   * (a round trip) confirms the server has them all. A lost ack only means a redelivery after `ack_wait`.
   */
  async acknowledgeBatch(messages: readonly Message[]): Promise<void> {
    for (const message of messages) {
      const jsMsg = this.unsettled.settleOrThrow(message, "acknowledge");
      this.deliveries.settled(jsMsg);
      jsMsg.ack();
    }
    try {
      await this.connection.flush();
    } catch (error) {
      throw mapNatsError(error, `acknowledge ${messages.length} message(s)`);
    }
  }

  /** Waits until JetStream confirms the acknowledgement. */
  async acknowledge(message: Message): Promise<void> {
    const jsMsg = this.unsettled.settleOrThrow(message, "acknowledge");
    this.deliveries.settled(jsMsg);
    try {
      await jsMsg.ackAck();
    } catch (error) {
      throw mapNatsError(error, `acknowledge message ${message.id} on "${message.topic}"`);
    }
  }

  /** `requeue`: delivered again after `nak_delay`; otherwise terminated (JetStream never redelivers it). */
  async reject(message: Message, requeue: boolean): Promise<void> {
    const jsMsg = this.unsettled.settleOrThrow(message, "reject");
    try {
      if (!requeue) {
        jsMsg.term();
        this.deliveries.settled(jsMsg);
      } else if (this.settings.nakDelayMs > 0) jsMsg.nak(this.settings.nakDelayMs);
      else jsMsg.nak();
    } catch (error) {
      throw mapNatsError(error, `reject message ${message.id} on "${message.topic}"`);
    }
  }

  /**
   * The next subscription of `topic` by `group` moves the group's durable right after the checkpoint
   * `lookup` gives; a queue's durable starts there only when it is created (acknowledgements decide
   * where an existing one stands).
   */
  resumeAfter(topic: string, group: string, lookup: CheckpointLookup): void {
    this.resumes.set(keyOf("resume", topic, group), lookup);
    this.ready.delete(keyOf("subscription", topic, group));
    this.ready.delete(keyOf("queue", topic, group));
    this.positions.delete(keyOf("subscription", topic, group));
  }

  private prepare(kind: Kind, topic: string, group: string): Promise<DurableRef> {
    const key = keyOf(kind, topic, group);
    const cached = this.ready.get(key);
    if (cached) return cached;
    const preparing = this.ensureDurable(kind, topic, group, true);
    this.ready.set(key, preparing);
    preparing.catch(() => {
      if (this.ready.get(key) === preparing) this.ready.delete(key);
    });
    return preparing;
  }

  /**
   * Finds (or creates) the stream and the group's durable. With a checkpoint lookup, a missing durable
   * is created right after the checkpoint; with `reposition`, a subscription's existing durable is moved
   * there too (never a queue's).
   */
  private async ensureDurable(
    kind: Kind,
    topic: string,
    group: string,
    reposition: boolean,
  ): Promise<DurableRef> {
    const action = `prepare ${kind} "${topic}" (group "${group}")`;
    try {
      const stream = await this.streams.streamFor(topic);
      const durable = { stream, name: durableNameFor(group, topic), subject: topic };
      const lookup = this.resumes.get(keyOf("resume", topic, group));
      const checkpoint = lookup ? await lookup("0") : undefined;
      const startAfter = checkpoint === undefined ? undefined : toSequence(checkpoint, topic);
      const move = reposition && kind === "subscription";
      await this.durables.ensure(durable, startAfter, move);
      if (move && startAfter !== undefined) this.positions.set(keyOf(kind, topic, group), startAfter);
      return durable;
    } catch (error) {
      throw mapNatsError(error, action);
    }
  }

  private read(
    kind: Kind,
    durable: DurableRef,
    group: string,
    signal: AbortSignal | undefined,
    handOver: (jsMsg: JsMsg, message: Message) => Message,
    onEnd?: () => void,
  ): AsyncIterable<Message> {
    const topic = durable.subject;
    const subscription = this.subscriptions.add(topic, group, signal);
    if (onEnd) subscription.signal.addEventListener("abort", onEnd, { once: true });
    const description = `${kind} "${topic}" (group "${group}")`;
    const order = kind === "subscription" ? this.deliveryOrder(topic, group, description) : undefined;
    let current = durable;
    const messages = readDurable({
      signal: subscription.signal,
      open: async (reason) => {
        if (reason.kind === "failed") {
          if (isMissingResource(reason.error)) order?.lostDurable();
          // The consume failed: the stream or the durable may be gone, so find or create them again.
          this.streams.forget(topic);
          current = await this.ensureDurable(kind, topic, group, false);
        }
        // In order: the durable stands right after the last message handed over, nothing outstanding.
        if (order?.ordered) order.opened(await this.durables.position(current, order.lastHandedOver));
        return this.js.consumers.get(current.stream, current.name);
      },
      ...(order && {
        inspect: (jsMsg: JsMsg) => {
          const verdict = order.inspect(jsMsg.info);
          if (verdict === Verdict.Skip) jsMsg.ack();
          return verdict;
        },
      }),
      batch: this.settings.fetchBatch,
      isConnectionClosed: () => this.connection.isClosed(),
      description,
      handOver,
      onRetry: (error) => {
        this.health.record(error);
        this.settings.logger.warn(`${description}: retrying after an error`, { error: error.message });
      },
    });
    return finishing(messages, subscription);
  }

  /** Stream order for one pub/sub subscription, starting where the process's last one stopped. */
  private deliveryOrder(topic: string, group: string, description: string): DeliveryOrder {
    const key = keyOf("subscription", topic, group);
    return new DeliveryOrder({
      alone: () => this.subscriptions.count(topic, group) <= 1,
      connectionEpoch: () => this.health.epoch,
      lastHandedOver: this.positions.get(key),
      onPosition: (sequence) => {
        if (sequence === undefined) this.positions.delete(key);
        else this.positions.set(key, sequence);
      },
      onShared: (reason, unexpected) => {
        if (!unexpected) return;
        this.settings.logger.warn(
          `${description}: no longer keeps stream order across lost connections: ${reason}; ` +
            "read a pub/sub group from one process (or use the queue)",
        );
      },
    });
  }
}

function keyOf(kind: Kind | "resume", topic: string, group: string): string {
  return `${kind}\u0000${topic}\u0000${group}`;
}

function toSequence(offset: Offset, topic: string): number {
  const sequence = Number(offset);
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw new PrismError(
      PrismErrorCode.StateCorrupt,
      `the checkpoint for "${topic}" holds ${JSON.stringify(offset)}, which is not a JetStream stream sequence`,
    );
  }
  return sequence;
}
