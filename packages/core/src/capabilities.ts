import type { CheckpointLookup, SubscribeOptions } from "./interfaces.js";
import type { Message } from "./message.js";

/** Optional: a source that can start after a stored position instead of where the backend left off. */
export interface ResumableSource {
  /**
   * Makes the subscriptions and receives opened afterwards for `topic` and `group` start right after the
   * offset `lookup` returns for each partition; partitions it has no offset for start as they would have.
   */
  resumeAfter(topic: string, group: string, lookup: CheckpointLookup): Promise<void>;
}

/**
 * Optional: a source whose partitions move between the members of a group (Kafka). The consumer shows
 * the partitions this process holds in `health().membership`.
 */
export interface PartitionedSource {
  /** Partitions of `topic` currently assigned to this process for `group`. */
  ownedPartitions(topic: string, group: string): ReadonlySet<string>;
}

/**
 * Optional: a pub/sub source whose subscriptions can leave every message pending until the subscriber
 * settles it, as a queue does (JetStream durables). The consumer then reads through
 * `subscribeAcknowledged` and acknowledges each message after processing, so the broker — not the
 * checkpoint — decides what comes again after a crash, and replicas of one config can share a group.
 */
export interface AcknowledgedSubscriptions {
  /**
   * Like `subscribe`, but each message stays pending until `acknowledge` or `reject`; what a stopped or
   * crashed subscriber left unsettled is delivered to the group again. Resolves `undefined` when the
   * driver cannot do that in its current mode (e.g. NATS without JetStream): then use `subscribe`.
   */
  subscribeAcknowledged(
    topic: string,
    subscriberId: string,
    options?: SubscribeOptions,
  ): Promise<AsyncIterable<Message> | undefined>;
  acknowledge(message: Message): Promise<void>;
  reject(message: Message, requeue: boolean): Promise<void>;
}

/**
 * Optional: a source that settles many messages at once (one XACK, one DELETE, one flush of acks). The
 * consumer acknowledges what finished in one event-loop turn together through it, instead of a call — and
 * a promise — per message.
 */
export interface BatchAcknowledgement {
  /** Acknowledges messages this driver handed out; resolves once all are settled (as `acknowledge` would). */
  acknowledgeBatch(messages: readonly Message[]): Promise<void>;
}

/**
 * Optional: a state store that can write a key only if it still holds what was read. Replicas share one
 * checkpoint key; with this, a commit never overwrites a concurrent one (it re-reads, merges, retries).
 */
export interface CompareAndSetStore {
  /**
   * Stores `value` under `key` only if the stored value is byte-equal to `expected` (`undefined`: the key
   * is absent or expired); resolves whether it stored. Keys written this way carry no TTL.
   */
  compareAndSet(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean>;
}

/**
 * Optional, on the async iterator a source's `subscribe`/`receive` returns: hands over messages it already
 * holds (fetched, buffered) at once, without a promise per message. After each `next()` the consumer takes
 * what is buffered this way — a batch fills, and single messages run back to back, on one await.
 */
export interface BufferedIterator {
  /** Up to `max` messages held now, in order, handed over as `next()` would; empty when none is held. */
  takeBuffered(max: number): readonly Message[];
}

/**
 * Optional: a source that can tell how far a consumer group is behind — Kafka partition lag, JetStream
 * pending messages, Redis Streams group lag, a PostgreSQL queue's depth. For metrics and dashboards.
 */
export interface LagReporting {
  /**
   * Messages of `topic` that `group` has not consumed yet, per partition (`"0"` for an unpartitioned
   * source), as the backend counts them now; empty when the backend knows nothing of the group yet.
   */
  consumerLag(topic: string, group: string): Promise<Readonly<Record<string, number>>>;
}

/** Where `browse` starts and how much it returns. */
export interface BrowseOptions {
  /** Start right after the message with this id (as `browse` returned it); default the oldest. */
  readonly after?: string;
  /** At most this many messages. Default 100. */
  readonly limit?: number;
}

/**
 * Optional: a queue whose messages can be read without being received, and removed by id — what a
 * dead-letter queue needs to be listed, replayed and purged while consumers run.
 */
export interface BrowsableQueue {
  /** Messages of `queue` in order, oldest first, left where they are (not received, nothing settled). */
  browse(queue: string, options?: BrowseOptions): Promise<readonly Message[]>;
  /** Removes the messages with these ids from `queue`; resolves with how many were there. */
  remove(queue: string, ids: readonly string[]): Promise<number>;
}

/** What a driver knows about its connection, shown in the consumer's `health().drivers`. */
export interface DriverHealth {
  readonly connected: boolean;
  /** Reconnections since the driver was created. */
  readonly reconnects: number;
  /** The last connection problem, without credentials. */
  readonly lastError?: string;
}

/** Optional: a driver that reports its connection state. */
export interface HealthReporting {
  driverHealth(): DriverHealth;
}

/** Optional: a driver holding connections or timers that must be released. */
export interface Closable {
  close(): Promise<void>;
}

export function isResumableSource(driver: unknown): driver is ResumableSource {
  return hasMethods(driver, ["resumeAfter"]);
}

export function isPartitionedSource(driver: unknown): driver is PartitionedSource {
  return hasMethods(driver, ["ownedPartitions"]);
}

export function isAcknowledgedSubscriptions(driver: unknown): driver is AcknowledgedSubscriptions {
  return hasMethods(driver, ["subscribeAcknowledged", "acknowledge", "reject"]);
}

export function isBatchAcknowledgement(driver: unknown): driver is BatchAcknowledgement {
  return hasMethods(driver, ["acknowledgeBatch"]);
}

export function isBufferedIterator(iterator: unknown): iterator is BufferedIterator {
  return hasMethods(iterator, ["takeBuffered"]);
}

export function isCompareAndSetStore(driver: unknown): driver is CompareAndSetStore {
  return hasMethods(driver, ["compareAndSet"]);
}

export function isHealthReporting(driver: unknown): driver is HealthReporting {
  return hasMethods(driver, ["driverHealth"]);
}

export function isLagReporting(driver: unknown): driver is LagReporting {
  return hasMethods(driver, ["consumerLag"]);
}

export function isBrowsableQueue(driver: unknown): driver is BrowsableQueue {
  return hasMethods(driver, ["browse", "remove"]);
}

export function isClosable(driver: unknown): driver is Closable {
  return hasMethods(driver, ["close"]);
}

/** The names in `methods` that `value` lacks as functions. */
export function missingMethods(value: unknown, methods: readonly string[]): string[] {
  if (typeof value !== "object" || value === null) return [...methods];
  const record = value as Record<string, unknown>;
  return methods.filter((method) => typeof record[method] !== "function");
}

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return missingMethods(value, methods).length === 0;
}
