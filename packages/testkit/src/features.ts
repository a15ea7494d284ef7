/** What a pub/sub driver declares it does; each case that needs a feature is skipped without it. */
export interface PubSubFeatures {
  /** Subscribers sharing an id share the messages; different ids each get all of them. */
  readonly consumerGroups: boolean;
  /**
   * Messages are kept: a new subscriber receives messages published before it joined, and nothing is
   * lost while a group has no subscriber.
   */
  readonly persistent: boolean;
  /** A single subscriber receives a topic's messages in publish order (per partition). */
  readonly ordered: boolean;
  /** Implements `ResumableSource`: a subscription can start after a stored position. */
  readonly resumable: boolean;
  /**
   * Implements `AcknowledgedSubscriptions` (messages pending until settled): then the queue cases also run
   * through `subscribeAcknowledged`, `acknowledge` and `reject`. Default false.
   */
  readonly acknowledgedSubscriptions?: boolean;
}

/** What a queue driver declares it does. */
export interface QueueFeatures {
  /** Receivers in one group share the messages; different groups each get all of them. */
  readonly consumerGroups: boolean;
  /** A single receiver gets a queue's messages in enqueue order (first deliveries, per partition). */
  readonly ordered: boolean;
  /** Implements `ResumableSource`. */
  readonly resumable: boolean;
  /** Messages enqueued before a receiver started reach it (a real queue: almost always true). */
  readonly persistent: boolean;
}

/** What a key/value driver declares it does. */
export interface KeyValueFeatures {
  /** `ttlSeconds` expires keys. */
  readonly ttl: boolean;
  /** Implements `CompareAndSetStore`: replicas' checkpoint writes never overwrite each other. Default false. */
  readonly compareAndSet?: boolean;
}
