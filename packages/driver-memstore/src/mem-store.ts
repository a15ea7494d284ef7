import type {
  AcknowledgedSubscriptions,
  BatchAcknowledgement,
  BrowsableQueue,
  BrowseOptions,
  CheckpointLookup,
  CompareAndSetStore,
  KeyValueBasicInterface,
  LagReporting,
  Message,
  Metadata,
  PubSubInterface,
  QueueInterface,
  ReceiveOptions,
  ResumableSource,
  SubscribeOptions,
} from "@prism/consumer-core/driver";
import { MemKeyValue } from "./internal/key-value.js";
import { TopicLog } from "./internal/topic-log.js";
import { WorkQueue } from "./internal/work-queue.js";
import { type MemStoreOptions, memStoreOptions } from "./options.js";

export type { MemStoreOptions } from "./options.js";

/**
 * Everything in one process: key/value with TTL, pub/sub topics (durable groups, replay, resume from a
 * position) and work queues (ack, reject, redelivery). The embedded default and the test double.
 */
export class MemStore
  implements
    KeyValueBasicInterface,
    CompareAndSetStore,
    PubSubInterface,
    AcknowledgedSubscriptions,
    BatchAcknowledgement,
    QueueInterface,
    ResumableSource,
    LagReporting,
    BrowsableQueue
{
  private readonly keyValue: MemKeyValue;
  private readonly topics = new Map<string, TopicLog>();
  private readonly queues = new Map<string, WorkQueue>();
  private readonly resumes = new Map<string, CheckpointLookup>();
  private readonly capacity: number;
  private readonly retention: number;
  private readonly visibilityTimeoutMs: number;
  private readonly now: () => number;
  private readonly acknowledging: boolean;

  /** Invalid options throw a `ConfigError` naming each one. */
  constructor(options: MemStoreOptions = {}) {
    const o = memStoreOptions.read(options, { style: "camel", path: "options" });
    this.capacity = o.capacity;
    this.retention = o.retention;
    this.visibilityTimeoutMs = o.visibilityTimeout;
    this.now = o.now ?? Date.now;
    this.acknowledging = o.acknowledgedSubscriptions;
    this.keyValue = new MemKeyValue(this.now);
  }

  set(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void> {
    return this.keyValue.set(key, value, ttlSeconds);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.keyValue.get(key);
  }

  delete(key: string): Promise<void> {
    return this.keyValue.delete(key);
  }

  exists(key: string): Promise<boolean> {
    return this.keyValue.exists(key);
  }

  /** Stores `value` (without TTL) only if `key` holds exactly `expected` (`undefined`: absent). */
  compareAndSet(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    return this.keyValue.compareAndSet(key, expected, value);
  }

  publish(topic: string, payload: Uint8Array, metadata: Metadata = {}): Promise<string> {
    return this.topic(topic).publish(payload, metadata);
  }

  /**
   * Joins the subscriber group `subscriberId` on `topic`. A new group starts at the oldest retained
   * message; a known group continues where it left off, or after its checkpoint (see `resumeAfter`).
   */
  async subscribe(
    topic: string,
    subscriberId: string,
    options: SubscribeOptions = {},
  ): Promise<AsyncIterable<Message>> {
    return this.topic(topic).subscribe(
      subscriberId,
      options.signal,
      this.resumes.get(resumeKey(topic, subscriberId)),
      false,
    );
  }

  /**
   * With `acknowledgedSubscriptions`: like `subscribe`, but each message stays pending until
   * `acknowledge`d or `reject`ed (also after the iteration ended); one left unsettled for
   * `visibilityTimeout` goes to the group again. A checkpoint from `resumeAfter` positions only a group
   * that does not exist yet. Without it, resolves `undefined`.
   */
  async subscribeAcknowledged(
    topic: string,
    subscriberId: string,
    options: SubscribeOptions = {},
  ): Promise<AsyncIterable<Message> | undefined> {
    if (!this.acknowledging) return undefined;
    return this.topic(topic).subscribe(
      subscriberId,
      options.signal,
      this.resumes.get(resumeKey(topic, subscriberId)),
      true,
    );
  }

  async unsubscribe(topic: string, subscriberId: string): Promise<void> {
    this.topics.get(topic)?.unsubscribe(subscriberId);
  }

  /** For pub/sub: a group that (re)starts with no members moves right after the offset `lookup` gives. */
  async resumeAfter(topic: string, group: string, lookup: CheckpointLookup): Promise<void> {
    this.resumes.set(resumeKey(topic, group), lookup);
  }

  enqueue(queue: string, payload: Uint8Array, metadata: Metadata = {}): Promise<string> {
    return this.queue(queue).enqueue(payload, metadata);
  }

  /** Receivers of a queue compete for its messages; `options.group` is not used (one group per queue). */
  async receive(queue: string, options: ReceiveOptions = {}): Promise<AsyncIterable<Message>> {
    return this.queue(queue).receive(options.signal);
  }

  /** Settles a queue message, or a message of an acknowledged subscription. */
  async acknowledge(message: Message): Promise<void> {
    if (this.topics.get(message.topic)?.settle(message, "acknowledge")) return;
    this.queue(message.topic).settle(message, false);
  }

  /** Settles many messages at once (the consumer's acknowledgements of one event-loop turn). */
  async acknowledgeBatch(messages: readonly Message[]): Promise<void> {
    for (const message of messages) {
      if (!this.topics.get(message.topic)?.settle(message, "acknowledge")) {
        this.queue(message.topic).settle(message, false);
      }
    }
  }

  async reject(message: Message, requeue: boolean): Promise<void> {
    if (this.topics.get(message.topic)?.settle(message, requeue ? "requeue" : "drop")) return;
    this.queue(message.topic).settle(message, requeue);
  }

  /**
   * A pub/sub topic: the messages `group` has not received yet; a queue (when no topic of that name
   * exists): the messages waiting for a receiver. Empty for a group or queue not seen yet.
   */
  async consumerLag(topic: string, group: string): Promise<Readonly<Record<string, number>>> {
    const log = this.topics.get(topic);
    const lag = log ? log.groupLag(group) : this.queues.get(topic)?.waiting;
    return lag === undefined ? {} : { "0": lag };
  }

  /** A queue's waiting and pending messages, oldest first, without receiving them. */
  async browse(queue: string, options: BrowseOptions = {}): Promise<readonly Message[]> {
    const after = options.after === undefined ? 0 : Number(options.after);
    return this.queues.get(queue)?.browse(Number.isFinite(after) ? after : 0, options.limit ?? 100) ?? [];
  }

  /** Removes messages of a queue by id, waiting or pending. */
  async remove(queue: string, ids: readonly string[]): Promise<number> {
    return this.queues.get(queue)?.remove(new Set(ids)) ?? 0;
  }

  /** How many messages a topic holds and how far its slowest group lags (for tests and demos). */
  topicStats(topic: string): { retained: number; lag: number } {
    const log = this.topics.get(topic);
    return { retained: log?.retained ?? 0, lag: log?.lag ?? 0 };
  }

  /** Messages of a queue waiting or pending (for tests and demos). */
  queueSize(queue: string): number {
    return this.queues.get(queue)?.size ?? 0;
  }

  private topic(name: string): TopicLog {
    let log = this.topics.get(name);
    if (!log) {
      log = new TopicLog(name, {
        capacity: this.capacity,
        retention: this.retention,
        visibilityTimeoutMs: this.visibilityTimeoutMs,
        now: this.now,
      });
      this.topics.set(name, log);
    }
    return log;
  }

  private queue(name: string): WorkQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new WorkQueue(name, this.capacity, this.visibilityTimeoutMs, this.now);
      this.queues.set(name, queue);
    }
    return queue;
  }
}

function resumeKey(topic: string, group: string): string {
  return `${topic}\u0000${group}`;
}
