/**
 * Where a message sits in its source: a partition (or stream) and an offset within it.
 * Offsets are opaque to core: only the driver that produced them interprets them. Within one partition
 * a source delivers them in order, which is what lets core checkpoint the last finished one.
 */
export interface Position {
  /** Partition, shard or stream name; `"0"` for sources with a single ordered stream. */
  readonly partition: string;
  /** Kafka offset, JetStream sequence, Redis stream id, row id… as the driver defines it. */
  readonly offset: Offset;
}

export type Offset = number | string;

/** String key/value pairs that travel with a message (headers in NATS and Kafka, fields in Redis). */
export type Metadata = Readonly<Record<string, string>>;

export interface Message {
  /** Unique within the topic (a JetStream sequence, a Kafka `partition/offset`, a UUID…). */
  readonly id: string;
  /** Topic, subject or queue the message was read from. */
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly metadata: Metadata;
  /** When the message was published, in epoch milliseconds. */
  readonly timestamp: number;
  /** Where the message came from, for checkpoints; `undefined` when the source has no positions. */
  readonly position: Position | undefined;
  /** How many times the source has delivered this message, 1 for the first delivery. */
  readonly deliveryAttempt: number;
  /**
   * Set only by a driver on a record it could not convert (a header value that is not text, a field the
   * mapping requires is missing…): why. The consumer never hands such a message to the processor; it goes
   * straight to `on_exhausted` — the dead-letter queue, with this reason as `prism-error` — so one foreign
   * record cannot stall its partition. `payload` and `metadata` hold what the driver could read.
   */
  readonly conversionError?: string;
}
