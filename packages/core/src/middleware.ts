import type { Message } from "./message.js";

/** Who is consuming: the same for every delivery of one run. */
export interface ConsumerIdentity {
  readonly name: string;
  readonly group: string;
  readonly topic: string;
  /** This process's id in the group (`{name}@{host}:{pid}:{random}`). */
  readonly member: string;
}

/**
 * One message — or, with `batchSize > 0`, one batch — on its way through the handler chain. Middleware
 * may hand `next` a delivery with fewer messages (the others then count as done, e.g. filtered) or
 * another `signal`; it must not add messages.
 */
export interface Delivery {
  /** The messages: one, or the batch, in source order. */
  readonly messages: readonly Message[];
  /** Inside the retry stage: 1 for the first attempt, up to `maxAttempts`. Outside it: 0. */
  readonly attempt: number;
  /** `maxRetries + 1`. */
  readonly maxAttempts: number;
  /**
   * Aborted when `stop()` runs out of patience; inside the timeout stage, also at the attempt's deadline
   * (`processingTimeout`). Stop the work when it fires.
   */
  readonly signal: AbortSignal;
  readonly consumer: ConsumerIdentity;
  /**
   * With `behavior.transactional`, for the processor: the state store's open transaction client (a
   * `pg` client inside `BEGIN` with the postgres driver; its `transactionOf(context)` gives it typed).
   * Effects written through it commit together with the record that these messages were processed.
   */
  readonly transaction?: unknown;
}

/** Handles a delivery: resolving means done, throwing means the attempt failed. */
export type Handler = (delivery: Delivery) => void | Promise<void>;

/**
 * Cross-cutting behaviour around a handler, Watermill's `(next) => handler`: tracing, metrics, logging,
 * auth, enrichment. Call `next` once to go on (or not at all to finish the delivery without processing
 * it); keep it synchronous when `next` is, so the consumer's fast path stays fast.
 */
export type Middleware = (next: Handler) => Handler;

/** Where a middleware added with `consumer.use()` runs. */
export const MiddlewareStage = {
  /** Once per delivery, around every attempt (sees the final error before dead-lettering). */
  Delivery: "delivery",
  /** Around each attempt, inside the retries (sees each failure, a timeout included). */
  Attempt: "attempt",
} as const;
export type MiddlewareStage = (typeof MiddlewareStage)[keyof typeof MiddlewareStage];
