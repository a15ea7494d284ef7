import type { ExhaustedAction } from "../config.js";
import type { FilterPredicate } from "../filter.js";
import type { KeyValueBasicInterface, QueueInterface } from "../interfaces.js";
import type { Logger } from "../logger.js";
import type { Message } from "../message.js";
import type { ConsumerIdentity, Handler, Middleware } from "../middleware.js";
import type { PayloadDecoding } from "../payload.js";
import type { BatchProcessor, MessageProcessor } from "../processor.js";
import type { BoundSource } from "../slots.js";
import type { TransactionalState } from "../transactional-state.js";
import { isPromiseLike } from "./async.js";
import type { TrackedMessage } from "./checkpoint-tracker.js";
import { DeadlineWatch } from "./deadline-watch.js";
import type { EventHub } from "./event-hub.js";
import { Abandoned } from "./outcomes.js";
import { PipelineDelivery } from "./pipeline-delivery.js";
import type { ResolvedBehavior } from "./resolve-behavior.js";
import type { Settlements } from "./settlement.js";
import { deadLetter, giveUp } from "./stages/dead-letter.js";
import { decode } from "./stages/decode.js";
import { deduplicate } from "./stages/deduplicate.js";
import { filter } from "./stages/filter.js";
import { retry } from "./stages/retry.js";
import { retryDelay } from "./stages/retry-delay.js";
import { sendThrough } from "./stages/retry-topic.js";
import { timeout } from "./stages/timeout.js";
import { recordGivenUp, requirePositions, transaction } from "./stages/transaction.js";
import { unconvertible } from "./stages/unconvertible.js";

/** Middleware added with `consumer.use()`, by stage, in the order added (the first added is outermost). */
export interface UserMiddleware {
  readonly delivery: readonly Middleware[];
  readonly attempt: readonly Middleware[];
}

export interface PipelineOptions {
  readonly behavior: ResolvedBehavior;
  readonly consumer: ConsumerIdentity;
  readonly onExhausted: ExhaustedAction;
  readonly deadLetterQueue: QueueInterface | undefined;
  readonly stateStore: KeyValueBasicInterface;
  readonly stateKey: string;
  /** Transactional mode: the state store that runs each attempt in a transaction. */
  readonly transactions: TransactionalState | undefined;
  readonly processor: MessageProcessor | undefined;
  readonly batchProcessor: BatchProcessor | undefined;
  readonly filter: FilterPredicate | undefined;
  readonly payload: PayloadDecoding | undefined;
  readonly middleware: UserMiddleware;
  readonly hub: EventHub;
  readonly settlements: Settlements;
  readonly logger: Logger;
  readonly random: () => number;
  readonly recordError: (error: unknown) => void;
  /** Aborted when stop() runs out of patience. */
  readonly workSignal: AbortSignal;
  /** Aborted when stop() begins: ends a park and a retry topic's wait. */
  readonly stopSignal: AbortSignal;
  /** The message source, for publishing to the retry topic. */
  readonly source: BoundSource;
  /** Stops the consumer with `error` (a delivery failed for good with `on_exhausted: stop`, a DLQ down). */
  readonly fail: (error: unknown) => void;
}

/**
 * The one path every message takes after the scheduler hands it over: the handler chain, then settlement.
 * The chain, outermost first (each stage only when configured):
 *
 * 0. require positions — transactional mode: a message without a position stops the consumer
 * 1. dead-letter — a delivery that failed for good goes to the DLQ, is dropped, or stops the consumer
 * 1a. unconvertible — a record its driver could not convert is given up at once, never processed
 * 2. filter — messages that do not match are done without processing
 * 3. deduplicate — messages processed within the window are done without processing
 * 4. decode — payloads become `message.data`; invalid ones are dead-lettered at once
 * 4a. retry delay — on a retry topic's consumer, a message waits until it is due (`retryTopic` set)
 * 5. `consumer.use(mw)` middleware (stage "delivery"), the first added outermost
 * 6. retry — attempts with backoff
 * 7. `consumer.use(mw, "attempt")` middleware, the first added outermost
 * 8. timeout — each attempt's deadline (`processingTimeout`)
 * 8a. transaction — transactional mode: the attempt in a transaction of the state store that records the
 *     positions (those recorded before are skipped); the processor gets it as `delivery.transaction`
 * 9. the processor (one message, or the batch)
 *
 * Synchronous handlers run without a promise of the pipeline's own: that is the fast path, not a second
 * route.
 */
export class Pipeline {
  readonly deadlines: DeadlineWatch | undefined;
  private readonly chain: Handler;
  private readonly maxAttempts: number;

  constructor(private readonly o: PipelineOptions) {
    const { behavior, hub } = o;
    this.maxAttempts = behavior.retry.maxRetries + 1;
    this.deadlines =
      behavior.processingTimeoutMs > 0 ? new DeadlineWatch(behavior.processingTimeoutMs, hub) : undefined;
    const batch = o.batchProcessor;
    const single = o.processor;
    let chain: Handler = batch
      ? (delivery) => batch(delivery.messages, delivery)
      : (delivery) =>
          (single as MessageProcessor)(
            delivery instanceof PipelineDelivery ? delivery.first : (delivery.messages[0] as Message),
            delivery,
          );
    if (o.transactions) chain = transaction({ store: o.transactions, key: o.stateKey, hub })(chain);
    if (this.deadlines) chain = timeout(this.deadlines)(chain);
    chain = compose(o.middleware.attempt, chain);
    chain = retry({
      policy: behavior.retry,
      random: o.random,
      hub,
      workSignal: o.workSignal,
      recordError: o.recordError,
    })(chain);
    chain = compose(o.middleware.delivery, chain);
    if (behavior.retryTopic) chain = retryDelay(o.stopSignal)(chain);
    const givingUp = giveUp({
      onExhausted: o.onExhausted,
      deadLetterQueue: o.deadLetterQueue,
      deadLetterTopic: behavior.deadLetterTopic,
      retryTopic: behavior.retryTopic && { ...behavior.retryTopic, send: sendThrough(o.source) },
      consumer: o.consumer,
      retry: behavior.retry,
      maxAttempts: this.maxAttempts,
      random: o.random,
      workSignal: o.workSignal,
      stopSignal: o.stopSignal,
      hub,
      logger: o.logger,
      recordError: o.recordError,
    });
    const giveUpWith = o.transactions
      ? recordGivenUp(givingUp, { store: o.transactions, key: o.stateKey, hub, logger: o.logger })
      : givingUp;
    if (o.payload) chain = decode(o.payload, giveUpWith)(chain);
    if (behavior.deduplicate) {
      chain = deduplicate({
        store: o.stateStore,
        keyPrefix: `${o.stateKey}:seen:`,
        windowMs: behavior.deduplicate.windowMs,
        by: behavior.deduplicate.by,
        hub,
        logger: o.logger,
      })(chain);
    }
    if (o.filter) chain = filter(o.filter, hub)(chain);
    chain = unconvertible(giveUpWith, o.recordError)(chain);
    chain = deadLetter(giveUpWith)(chain);
    this.chain = o.transactions ? requirePositions()(chain) : chain;
  }

  /**
   * Runs one delivery (a message, or a batch) through the chain and settles it: done (acknowledged,
   * checkpointed), given back (abandoned at stop), or — when giving it up stopped the consumer — given
   * back and the consumer failed. `entries` are the messages' checkpoint records (none on the fast path).
   */
  deliver(messages: Message[], entries: TrackedMessage[] | undefined): void | Promise<void> {
    const delivery = new PipelineDelivery(
      messages[0] as Message,
      messages,
      1,
      this.maxAttempts,
      this.o.consumer,
      this.o.workSignal,
      this.deadlines !== undefined,
    );
    return this.run(delivery, entries);
  }

  private run(delivery: PipelineDelivery, entries: TrackedMessage[] | undefined): void | Promise<void> {
    let result: void | Promise<void>;
    try {
      result = this.chain(delivery);
    } catch (error) {
      return this.unfinished(delivery.messages, error);
    }
    if (isPromiseLike(result)) {
      return result.then(
        () => this.o.settlements.done(delivery, entries),
        (error: unknown) => this.unfinished(delivery.messages, error),
      );
    }
    return this.o.settlements.done(delivery, entries);
  }

  /** `deliver` for one message taken in source order (the one-at-a-time path): nothing extra allocated. */
  deliverOne(message: Message): void | Promise<void> {
    const delivery = new PipelineDelivery(
      message,
      undefined,
      1,
      this.maxAttempts,
      this.o.consumer,
      this.o.workSignal,
      this.deadlines !== undefined,
    );
    return this.run(delivery, undefined);
  }

  /** Gives messages taken but never run back to the source (delivered again later). */
  release(messages: readonly Message[]): Promise<void> {
    return this.o.settlements.release(messages);
  }

  stop(): void {
    this.deadlines?.stop();
  }

  private async unfinished(messages: readonly Message[], error: unknown): Promise<void> {
    await this.o.settlements.release(messages);
    if (error instanceof Abandoned) this.o.hub.abandoned(messages);
    else this.o.fail(error);
  }
}

function compose(middleware: readonly Middleware[], inner: Handler): Handler {
  let handler = inner;
  for (let i = middleware.length - 1; i >= 0; i--) handler = (middleware[i] as Middleware)(handler);
  return handler;
}
