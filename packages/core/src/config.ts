import type { Duration } from "./duration.js";
import type { FilterRule } from "./filter.js";
import type { PayloadFormat } from "./payload.js";

/** Which interface of a message-source driver the consumer uses when it offers both. */
export const SourceInterface = { PubSub: "pubsub", Queue: "queue" } as const;
export type SourceInterface = (typeof SourceInterface)[keyof typeof SourceInterface];

/** Which messages may be processed at the same time when `concurrency > 1`. */
export const Ordering = {
  /** Any: messages finish in any order (the checkpoint still never passes an unfinished one). */
  None: "none",
  /** One at a time per partition, partitions in parallel: the source's order is kept per partition. */
  Partition: "partition",
} as const;
export type Ordering = (typeof Ordering)[keyof typeof Ordering];

/** What happens to a message that failed every attempt. */
export const ExhaustedAction = {
  /** Enqueue it on the dead-letter queue with the failure metadata, then settle it. Needs a DLQ slot. */
  DeadLetter: "dead-letter",
  /** Leave it unsettled and stop the consumer (state `failed`); it is delivered again after a restart. */
  Stop: "stop",
  /** Settle it without keeping it; logged as a warning and counted in `health().counters.dropped`. */
  Drop: "drop",
  /**
   * Publish it to a retry topic (`retryTopic`) to be processed again after a delay, by a consumer of that
   * topic; after `retryTopic.maxRounds` rounds, dead-letter it.
   */
  RetryTopic: "retry-topic",
  /**
   * Keep it unsettled and stop taking its partition's messages (with `ordering: "partition"`, only that
   * partition), alerting with an error log and a `parked` event, until the consumer is restarted.
   */
  Park: "park",
} as const;
export type ExhaustedAction = (typeof ExhaustedAction)[keyof typeof ExhaustedAction];

/** A driver for one slot: its name in the driver map and its driver-specific settings. */
export interface SlotBinding {
  driver: string;
  /** Passed as-is to the driver factory (the seed's keys: `url`, `address`, `brokers`…). */
  config?: Readonly<Record<string, unknown>>;
  /** Only for the message source: which interface to consume through when the driver offers both. */
  interface?: SourceInterface;
  /**
   * For runners that load drivers from installed packages (`prism-consumer`): the npm package that
   * exports the factory, for a third-party driver. Default `@prism/driver-{driver}`. Code that passes
   * its drivers explicitly (`createConsumer`) does not use it.
   */
  package?: string;
}

export interface SlotsConfig {
  messageSource: SlotBinding;
  stateStore: SlotBinding;
  deadLetterQueue?: SlotBinding;
}

export interface RetryBackoffConfig {
  /** Delay before the first retry. Default "100ms". */
  initial?: Duration;
  /** Cap on any delay. Default "30s". */
  max?: Duration;
  /** Growth per retry. Default 2. */
  multiplier?: number;
  /** Randomised share of each delay, 0..1. Default 0.5. */
  jitter?: number;
}

/** Where messages that failed every attempt wait before they are tried again (`onExhausted: "retry-topic"`). */
export interface RetryTopicConfig {
  /** Topic (on the message source's backend) they are published to. Default "{topic}.retry". */
  topic?: string;
  /** How long after failing a message is processed again, e.g. "5m". */
  delay: Duration;
  /** Rounds through the retry topic before the message is dead-lettered. Default 3. */
  maxRounds?: number;
}

/** How the consumer behaves; every field but `consumerGroup` and `topic` has a default. */
export interface BehaviorConfig {
  consumerGroup: string;
  topic: string;
  /** Retries per message after its first attempt. Default 3. */
  maxRetries?: number;
  retryBackoff?: RetryBackoffConfig;
  /** 0 hands the processor one message at a time; n > 0 hands it batches of up to n. Default 0. */
  batchSize?: number;
  /** Longest wait for a batch to fill once its first message arrived. Default "100ms". */
  batchMaxWait?: Duration;
  /** Messages (or batches) processed at once. 1 keeps the source's order. Default 1. */
  concurrency?: number;
  /** With `concurrency > 1`: "partition" keeps the order within each partition. Default "none". */
  ordering?: Ordering;
  /** Commit the checkpoint every `commitInterval` and on stop; false leaves it to `commit()`. Default true. */
  autoCommit?: boolean;
  /** Default "5s". */
  commitInterval?: Duration;
  /** Default: "dead-letter" when a DLQ slot is bound, otherwise "stop". */
  onExhausted?: ExhaustedAction;
  /** With `onExhausted: "retry-topic"`: the retry topic, its delay and its rounds. */
  retryTopic?: RetryTopicConfig;
  /** Queue the DLQ receives failed messages on. Default "{topic}.dlq". */
  deadLetterTopic?: string;
  /** How long `stop()` lets in-flight work finish before aborting it. Default "30s". */
  shutdownTimeout?: Duration;
  /**
   * How long one attempt may take: then its `signal` aborts and the attempt fails ("timed out after …"),
   * to be retried and dead-lettered like any failure. `0` turns it off. Default "30s".
   */
  processingTimeout?: Duration;
  /** Only messages matching this are processed; the others are acknowledged and counted as filtered. */
  filter?: FilterRule;
  /** Messages processed within `window` are not processed again (keys in the state store). */
  deduplicate?: DeduplicateConfig;
  /**
   * Run each attempt in a transaction of the state store (PostgreSQL), recording the messages'
   * positions in it: effects the processor writes through `context.transaction` happen exactly once.
   * Default false.
   */
  transactional?: boolean;
  /** Decode payloads into `message.data` (`"json"` or `"text"`); schemas are set in code (`payload`). */
  payloadFormat?: PayloadFormat;
}

export interface DeduplicateConfig {
  /** How long a processed message's key is remembered, e.g. "10m". */
  window: Duration;
  /** A metadata key carrying the producer's idempotency key; default the message id. */
  key?: string;
}

/** The seed's consumer configuration, in TypeScript naming. YAML files use the snake_case keys. */
export interface ConsumerConfig {
  name: string;
  description?: string;
  slots: SlotsConfig;
  behavior: BehaviorConfig;
}
