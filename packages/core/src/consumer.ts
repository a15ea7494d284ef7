import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type DriverHealth, isClosable, isHealthReporting } from "./capabilities.js";
import { type BehaviorConfig, ExhaustedAction } from "./config.js";
import { validateBehavior } from "./config-validation.js";
import { type Duration, parseDuration, timerLimitProblem } from "./duration.js";
import { ConfigError, describeError, PrismError, PrismErrorCode } from "./errors.js";
import type { ConsumerEventListener, ConsumerEventMap, ConsumerEventName, ConsumerEvents } from "./events.js";
import { compileFilter, type FilterPredicate } from "./filter.js";
import { type ConsumerHealth, ConsumerStatus, emptyCounters } from "./health.js";
import { EventHub } from "./internal/event-hub.js";
import { type ResolvedBehavior, resolveBehavior } from "./internal/resolve-behavior.js";
import { ConsumerRun } from "./internal/run.js";
import { consoleLogger, type FieldsFirstLogger, type Logger, toLogger } from "./logger.js";
import { type Middleware, MiddlewareStage } from "./middleware.js";
import type { PayloadDecoding } from "./payload.js";
import type { BatchProcessor, MessageProcessor } from "./processor.js";
import {
  type BindSlotsOptions,
  type BoundSlots,
  bindSlots,
  isSlotDrivers,
  type SlotDrivers,
} from "./slots.js";
import { type ConsumerState, stateKey } from "./state.js";
import { isTransactionalState } from "./transactional-state.js";

export interface ConsumerOptions<T = never> {
  /** The consumer's name: part of its state key `consumer:{group}:{topic}:{name}`. */
  readonly name: string;
  readonly behavior: BehaviorConfig;
  /**
   * Typed payloads: decode (JSON by default) and validate with any Standard Schema; the processor gets
   * `message.data`, typed. Invalid payloads go to the dead-letter queue with the schema's issues.
   */
  readonly payload?: PayloadDecoding<T>;
  /** Only messages it accepts are processed (together with `behavior.filter`, when both are set). */
  readonly filter?: FilterPredicate;
  /** Default: warnings and errors to the console. A pino or bunyan logger is taken as it is. */
  readonly logger?: Logger | FieldsFirstLogger;
  /** Source of randomness for backoff jitter (tests pass a fixed one). Default `Math.random`. */
  readonly random?: () => number;
}

export interface ConsumerBindOptions extends BindSlotsOptions {
  /**
   * Close the bound drivers (those with a `close()` method) once the consumer has stopped or failed.
   * For drivers the consumer owns, e.g. created from config; a closed consumer cannot start again.
   */
  readonly closeOnStop?: boolean;
}

/**
 * The consumer pattern over three slots. Lifecycle: `bindSlots()` → `use()` (optional) →
 * `setProcessor()` → `start()` → `stop()`; `health()` and `on()` at any time.
 */
export class Consumer<T = never> implements ConsumerEvents {
  readonly name: string;
  readonly stateKey: string;
  private readonly behavior: ResolvedBehavior;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly hub: EventHub;
  private readonly payload: PayloadDecoding | undefined;
  private readonly filter: FilterPredicate | undefined;
  private readonly middleware = { delivery: [] as Middleware[], attempt: [] as Middleware[] };
  private slots: BoundSlots | undefined;
  private closeOnStop = false;
  private driversClosed = false;
  private processor: MessageProcessor<T> | undefined;
  private batchProcessor: BatchProcessor<T> | undefined;
  private run: ConsumerRun | undefined;
  private starting = false;
  private ended: Promise<Error | undefined> = Promise.resolve(undefined);
  private lastError: { message: string; at: number } | undefined;

  constructor(options: ConsumerOptions<T>) {
    if (typeof options.name !== "string" || options.name.trim() === "") {
      throw new ConfigError([
        { path: "name", message: `expected a non-empty string, got ${String(options.name)}` },
      ]);
    }
    this.name = options.name;
    this.behavior = resolveBehavior(validateBehavior(options.behavior));
    this.stateKey = stateKey(this.behavior.consumerGroup, this.behavior.topic, this.name);
    this.logger = toLogger(options.logger ?? consoleLogger);
    this.random = options.random ?? Math.random;
    this.hub = new EventHub(emptyCounters(), () => this.logger);
    const format = this.behavior.payloadFormat;
    this.payload = (options.payload as PayloadDecoding | undefined) ?? (format ? { format } : undefined);
    const rule = this.behavior.filter;
    const predicates = [rule && compileFilter(rule), options.filter].filter((p) => p !== undefined);
    this.filter =
      predicates.length === 0
        ? undefined
        : predicates.length === 1
          ? predicates[0]
          : (message) => predicates.every((accepts) => accepts(message));
  }

  /** Calls `listener` for every `name` event (see `ConsumerEventMap`); returns its unsubscribe function. */
  on<K extends ConsumerEventName>(name: K, listener: ConsumerEventListener<K>): () => void {
    return this.hub.on(name, listener);
  }

  /** Resolves with the next `name` event (for which `matches` holds, when given). */
  once<K extends ConsumerEventName>(
    name: K,
    matches?: (event: ConsumerEventMap[K]) => boolean,
  ): Promise<ConsumerEventMap[K]> {
    return this.hub.once(name, matches);
  }

  /**
   * Adds middleware, `(next) => handler`, to every delivery (`"delivery"`, the default: once per message
   * or batch, around all its attempts) or to every attempt (`"attempt"`: inside the retries). The first
   * added is the outermost of its stage. Applies from the next `start()`.
   */
  use(middleware: Middleware, stage: MiddlewareStage = MiddlewareStage.Delivery): this {
    this.assertNotActive("use");
    if (stage === MiddlewareStage.Attempt) this.middleware.attempt.push(middleware);
    else this.middleware.delivery.push(middleware);
    return this;
  }

  /**
   * Binds drivers to the slots after checking each implements its slot's interface (see the
   * standalone `bindSlots`); a wrong binding throws a `SlotBindingError`. Positional as in the seed
   * (`bindSlots(source, state, deadLetter?, options?)`) or named (`bindSlots({ source, state, deadLetter },
   * options?)`).
   */
  bindSlots(drivers: SlotDrivers, options?: ConsumerBindOptions): this;
  bindSlots(
    messageSource: unknown,
    stateStore: unknown,
    deadLetterQueue?: unknown,
    options?: ConsumerBindOptions,
  ): this;
  bindSlots(first: unknown, second?: unknown, third?: unknown, fourth?: ConsumerBindOptions): this {
    this.assertNotActive("bindSlots");
    const named = isSlotDrivers(first) && (second === undefined || !isDriverLike(second));
    const options = (named ? (second as ConsumerBindOptions | undefined) : fourth) ?? {};
    this.slots = named
      ? bindSlots(first.source, first.state, first.deadLetter, options)
      : bindSlots(first, second, third, options);
    this.closeOnStop = options.closeOnStop ?? false;
    this.driversClosed = false;
    return this;
  }

  /** Sets the per-message processor (for `batchSize: 0`). */
  setProcessor(processor: MessageProcessor<T>): this {
    this.assertNotActive("setProcessor");
    this.processor = processor;
    this.batchProcessor = undefined;
    return this;
  }

  /** Sets the batch processor (for `batchSize > 0`). */
  setBatchProcessor(processor: BatchProcessor<T>): this {
    this.assertNotActive("setBatchProcessor");
    this.batchProcessor = processor;
    this.processor = undefined;
    return this;
  }

  /**
   * Loads the checkpoint, resumes the source after it where the source can, and starts consuming.
   * Resolves once the subscription is active; rejects (and consumes nothing) if a backend fails.
   */
  async start(): Promise<void> {
    this.assertNotActive("start");
    const slots = this.slots;
    if (!slots) throw lifecycle("start() needs slots: call bindSlots() first");
    if (this.driversClosed)
      throw lifecycle("the drivers were closed at stop (closeOnStop); create a new consumer");
    const batching = this.behavior.batchSize > 0;
    if (batching && !this.batchProcessor) {
      throw lifecycle(`batch_size is ${this.behavior.batchSize}: call setBatchProcessor() before start()`);
    }
    if (!batching && !this.processor) {
      throw lifecycle(
        this.batchProcessor
          ? "a batch processor is set but batch_size is 0: set batch_size > 0 or call setProcessor()"
          : "call setProcessor() before start()",
      );
    }
    const onExhausted =
      this.behavior.onExhausted ??
      (slots.deadLetterQueue ? ExhaustedAction.DeadLetter : ExhaustedAction.Stop);
    if (onExhausted === ExhaustedAction.DeadLetter && !slots.deadLetterQueue) {
      throw new ConfigError([
        { path: "behavior.on_exhausted", message: '"dead-letter" needs a slots.dead_letter_queue binding' },
      ]);
    }
    if (this.behavior.transactional && !isTransactionalState(slots.stateStore)) {
      throw new ConfigError([
        {
          path: "behavior.transactional",
          message:
            "needs a state store that runs transactions (TransactionalState: the postgres driver); the bound state store does not",
        },
      ]);
    }
    const run = new ConsumerRun({
      identity: {
        name: this.name,
        group: this.behavior.consumerGroup,
        topic: this.behavior.topic,
        member: memberId(this.name),
      },
      stateKey: this.stateKey,
      behavior: this.behavior,
      onExhausted,
      slots,
      processor: this.processor as MessageProcessor | undefined,
      batchProcessor: this.batchProcessor as BatchProcessor | undefined,
      filter: this.filter,
      payload: this.payload,
      middleware: { delivery: [...this.middleware.delivery], attempt: [...this.middleware.attempt] },
      logger: this.logger,
      hub: this.hub,
      random: this.random,
      recordError: (error) => {
        this.lastError = { message: describeError(error), at: Date.now() };
      },
    });
    this.ended = run.closed.then(async (failure) => {
      if (this.closeOnStop) await this.closeDrivers();
      return failure;
    });
    this.starting = true;
    try {
      await run.open();
    } catch (error) {
      this.lastError = { message: describeError(error), at: Date.now() };
      run.failedToOpen(error);
      throw error;
    } finally {
      this.starting = false;
      this.run = run;
    }
  }

  /**
   * Stops taking messages, lets in-flight ones finish for up to `timeout` (default the behavior's
   * `shutdownTimeout`), aborts the rest through their `AbortSignal`, commits what finished (with
   * auto-commit) and ends the subscription. Rejects if that final commit fails.
   */
  async stop(options: { timeout?: Duration } = {}): Promise<void> {
    const run = this.run;
    if (!run) return;
    const timeoutMs =
      options.timeout === undefined ? this.behavior.shutdownTimeoutMs : parseDuration(options.timeout);
    if (timeoutMs === undefined)
      throw lifecycle(`stop(): timeout ${String(options.timeout)} is not a duration`);
    const tooLong = timerLimitProblem(timeoutMs, `stop(): timeout ${String(options.timeout)}`);
    if (tooLong) throw lifecycle(tooLong);
    let commitError: unknown;
    await run.shutdown(timeoutMs).catch((error) => {
      commitError = error;
    });
    await this.ended;
    if (commitError !== undefined) throw commitError;
  }

  /**
   * Writes the checkpoint now: every message up to it has finished. The way to commit with
   * `autoCommit: false`; also allowed with auto-commit. Resolves with the state as stored.
   */
  async commit(): Promise<ConsumerState> {
    if (!this.run) throw lifecycle("commit() needs a started consumer");
    return this.run.commit();
  }

  health(): ConsumerHealth {
    const run = this.run;
    const status = run ? statusOf[run.phase] : ConsumerStatus.Idle;
    return {
      status: status === ConsumerStatus.Running && run && run.stalled > 0 ? ConsumerStatus.Stalled : status,
      name: this.name,
      group: this.behavior.consumerGroup,
      topic: this.behavior.topic,
      inFlight: run?.inFlight ?? 0,
      counters: { ...this.hub.counters },
      membership: {
        member: run?.member,
        partitions: run?.ownedPartitions,
        changes: run ? [...run.groupChanges] : [],
      },
      lastError: this.lastError,
      lastCommitAt: run?.lastCommitAt,
      drivers: this.driverHealth(),
      checkpoint: run?.checkpoint ?? { offsets: {}, lastMessageId: null },
    };
  }

  private driverHealth(): ConsumerHealth["drivers"] {
    const drivers: Record<string, DriverHealth> = {};
    const slots = this.slots;
    if (!slots) return drivers;
    const bound = [
      ["messageSource", slots.messageSource.driver],
      ["stateStore", slots.stateStore],
      ["deadLetterQueue", slots.deadLetterQueue],
    ] as const;
    for (const [slot, driver] of bound) {
      if (isHealthReporting(driver)) drivers[slot] = driver.driverHealth();
    }
    return drivers;
  }

  /** Resolves when the consumer has stopped: with the error that failed it, or `undefined`. */
  closed(): Promise<Error | undefined> {
    return this.ended;
  }

  private async closeDrivers(): Promise<void> {
    if (this.driversClosed || !this.slots) return;
    this.driversClosed = true;
    const { messageSource, stateStore, deadLetterQueue } = this.slots;
    const drivers = new Set<unknown>([messageSource.driver, stateStore, deadLetterQueue]);
    for (const driver of drivers) {
      if (!isClosable(driver)) continue;
      await driver
        .close()
        .catch((error) => this.logger.warn("closing a driver failed", { error: describeError(error) }));
    }
  }

  private assertNotActive(method: string): void {
    const phase = this.run?.phase;
    if (this.starting || phase === "running" || phase === "draining") {
      throw lifecycle(
        `${method}() is not allowed while the consumer is ${this.starting ? "starting" : phase}`,
      );
    }
  }
}

const statusOf = {
  running: ConsumerStatus.Running,
  draining: ConsumerStatus.Draining,
  stopped: ConsumerStatus.Stopped,
  failed: ConsumerStatus.Failed,
} as const;

/** Whether `value` has methods, like a driver (so it is not the options of the named `bindSlots` form). */
function isDriverLike(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && Object.values(value).some((v) => typeof v === "function")
  );
}

/** Unique per start of a consumer: replicas of one config (and restarts of one) never share an id. */
function memberId(name: string): string {
  return `${name}@${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

function lifecycle(message: string): PrismError {
  return new PrismError(PrismErrorCode.Lifecycle, message);
}
