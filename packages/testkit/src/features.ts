/**
 * What a message source (pub/sub or queue) declares it does. Each flag says one thing; a case that needs
 * a flag is skipped without it, so a plain work queue (RabbitMQ, SQS) declares only what it supports.
 */
export interface SourceFeatures {
  /**
   * Readers of one group (queue: the same `group`, or any receivers of a work queue) share the messages:
   * each goes to one of them, together they get all.
   */
  readonly membersShare: boolean;
  /** Two groups of one topic each get every message (fan-out). A plain work queue: false. */
  readonly everyGroupGetsAll: boolean;
  /** A reader of a brand-new group receives what was published before the group existed. */
  readonly readsHistory: boolean;
  /**
   * Nothing is lost while no one listens: what is sent while a group has no reader reaches its next
   * reader (and survives a server restart, when the kit can restart or cut the connection).
   */
  readonly keepsWhileIdle: boolean;
  /** A single reader gets a topic's messages in publish order (first deliveries, per partition). */
  readonly ordered: boolean;
  /** Implements `ResumableSource`: a new group can start right after a stored position. */
  readonly resumable: boolean;
}

/** What a pub/sub driver declares it does. */
export interface PubSubFeatures extends SourceFeatures {
  /**
   * Implements `AcknowledgedSubscriptions` (messages pending until settled): then the queue cases also run
   * through `subscribeAcknowledged`, `acknowledge` and `reject`. Default false.
   */
  readonly acknowledgedSubscriptions?: boolean;
  /** How many unsettled messages one acknowledged subscription hands out at once; see `QueueFeatures`. */
  readonly maxUnsettled?: number;
}

/** What a queue driver declares it does. */
export interface QueueFeatures extends SourceFeatures {
  /**
   * How many messages one receive hands out before any is settled (its prefetch, QoS or batch limit). A
   * case never holds more unsettled messages than this at once. Default 10.
   */
  readonly maxUnsettled?: number;
}

/** What a key/value driver declares it does. */
export interface KeyValueFeatures {
  /** `ttlSeconds` expires keys. */
  readonly ttl: boolean;
  /** Implements `CompareAndSetStore`: replicas' checkpoint writes never overwrite each other. Default false. */
  readonly compareAndSet?: boolean;
}

/** The capacity a case may rely on when `maxUnsettled` is not declared: what common prefetches allow. */
export const defaultMaxUnsettled = 10;
