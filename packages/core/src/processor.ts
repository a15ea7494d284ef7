import type { Message } from "./message.js";
import type { Delivery } from "./middleware.js";
import type { DecodedMessage } from "./payload.js";

/**
 * What the processor knows about the current attempt: the delivery itself — `attempt`, `maxAttempts`,
 * `signal` (aborted when `stop()` runs out of patience or at the attempt's `processingTimeout`: stop the
 * work, it will be delivered again), and `consumer` (name, group, topic, member id).
 */
export type ProcessContext = Delivery;

/** What the processor receives: a `Message`, or with payload decoding a message with typed `data`. */
export type ProcessedMessage<T> = [T] extends [never] ? Message : DecodedMessage<T>;

/**
 * Handles one message. Resolving means done; throwing means this attempt failed: the consumer retries
 * with backoff, then dead-letters. Throw a `PermanentError` (or any error with `retryable: false`) to skip
 * the remaining attempts.
 */
export type MessageProcessor<T = never> = (
  message: ProcessedMessage<T>,
  context: ProcessContext,
) => void | Promise<void>;

/** Handles a batch (when `batchSize > 0`): the batch succeeds or fails, and is retried, as a whole. */
export type BatchProcessor<T = never> = (
  messages: readonly ProcessedMessage<T>[],
  context: ProcessContext,
) => void | Promise<void>;
