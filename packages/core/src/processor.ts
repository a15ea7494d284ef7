import type { Message } from "./message.js";

/** What the processor knows about the current attempt. */
export interface ProcessContext {
  /** 1 for the first attempt at this message (or batch) in this consumer, up to `maxAttempts`. */
  readonly attempt: number;
  /** `maxRetries + 1`. */
  readonly maxAttempts: number;
  /** Aborted when `stop()` runs out of patience: stop the work, it will be delivered again. */
  readonly signal: AbortSignal;
  readonly consumerName: string;
  readonly consumerGroup: string;
}

/**
 * Handles one message. Resolving means done; throwing means this attempt failed: the consumer retries
 * with backoff, then dead-letters. Throw a `PermanentError` (or any error with `retryable: false`) to skip
 * the remaining attempts.
 */
export type MessageProcessor = (message: Message, context: ProcessContext) => void | Promise<void>;

/** Handles a batch (when `batchSize > 0`): the batch succeeds or fails, and is retried, as a whole. */
export type BatchProcessor = (messages: readonly Message[], context: ProcessContext) => void | Promise<void>;
