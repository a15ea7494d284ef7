import type {
  BatchAcknowledgement,
  BrowsableQueue,
  BrowseOptions,
  Closable,
  CompareAndSetStore,
  KeyValueBasicInterface,
  LagReporting,
  Logger,
  Message,
  Metadata,
  Position,
  QueueInterface,
  ReceiveOptions,
  StateTransaction,
  TransactionalState,
} from "@prism/consumer-core/driver";
import { describeError, PrismError, PrismErrorCode, UnsettledMessages } from "@prism/consumer-core/driver";
import pg from "pg";
import { mapPostgresError } from "./errors.js";
import { KeyValueStore } from "./internal/key-value-store.js";
import { Listener } from "./internal/listener.js";
import { QueueBrowser } from "./internal/queue-browser.js";
import { receiveMessages } from "./internal/receiver.js";
import { ensureSchema, type SchemaNames } from "./internal/schema.js";
import { Transactions } from "./internal/transactions.js";
import { WorkQueue } from "./internal/work-queue.js";
import { type PostgresDriverOptions, type ResolvedOptions, resolveOptions } from "./options.js";

/**
 * PostgreSQL as a Prism state store (`KeyValueBasicInterface`, TTLs honoured) and as a work queue
 * (`QueueInterface`: `FOR UPDATE SKIP LOCKED`, visibility timeout, delivery attempts, positions), e.g. a
 * dead-letter queue you can query with SQL. Create it with `PostgresDriver.connect(options)`.
 */
export class PostgresDriver
  implements
    KeyValueBasicInterface,
    CompareAndSetStore,
    QueueInterface,
    BatchAcknowledgement,
    LagReporting,
    BrowsableQueue,
    TransactionalState<pg.PoolClient>,
    Closable
{
  /** Schema-qualified, quoted table names and the NOTIFY channel, for queries of your own. */
  readonly names: SchemaNames;
  private readonly keyValue: KeyValueStore;
  private readonly work: WorkQueue;
  private readonly browser: QueueBrowser;
  private readonly transactions: Transactions;
  private readonly listener: Listener;
  /** For each unsettled message, what its receive holds (and keeps invisible to others while it runs). */
  private readonly unsettled = new UnsettledMessages<Message>();
  private readonly closing = new AbortController();
  private purgeTimer: ReturnType<typeof setInterval> | undefined;
  private closed: Promise<void> | undefined;
  private readonly onPoolError = (error: Error) => {
    // An idle pooled connection died (e.g. the server restarted); the pool has dropped it already.
    this.logger.warn("postgres: an idle pooled connection failed and was discarded", {
      error: describeError(this.mapError(error, "idle connection")),
    });
  };

  private constructor(
    /** The pool in use: the driver's own, or the one passed in `options.pool`. */
    readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    private readonly settings: ResolvedOptions,
  ) {
    this.names = settings.names;
    pool.on("error", this.onPoolError);
    this.keyValue = new KeyValueStore(pool, settings.names.kvTable);
    this.work = new WorkQueue(
      pool,
      settings.names.queueTable,
      settings.names.channel,
      settings.visibilityTimeoutMs,
    );
    this.browser = new QueueBrowser(pool, settings.names.queueTable);
    this.transactions = new Transactions(pool, settings.names.processedTable);
    // The pool's own connection settings (password included, kept out of sight by node-postgres).
    this.listener = new Listener(() => new pg.Client(pool.options), settings.names.channel, settings.logger);
  }

  /**
   * Connects (checking the server answers), creates the schema, tables and index that are missing, and
   * starts purging expired keys. Rejects with a `PrismError` (`BACKEND_UNAVAILABLE` when unreachable,
   * `BACKEND_REJECTED` for a bad login, database or privilege) rather than hanging.
   */
  static async connect(options: PostgresDriverOptions = {}): Promise<PostgresDriver> {
    const settings = resolveOptions(options);
    const ownsPool = settings.pool === undefined;
    const pool = settings.pool ?? new pg.Pool(settings.poolConfig);
    const driver = new PostgresDriver(pool, ownsPool, settings);
    try {
      await pool.query("SELECT 1");
      await ensureSchema(pool, settings.names);
    } catch (error) {
      await driver.close();
      throw driver.mapError(error, "connect");
    }
    driver.purgeTimer = setInterval(() => driver.purgeExpired(), settings.purgeIntervalMs);
    driver.purgeTimer.unref();
    return driver;
  }

  async set(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void> {
    if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds >= 0)) {
      throw new RangeError(
        `postgres set("${key}"): ttlSeconds must be a finite number >= 0, got ${ttlSeconds}`,
      );
    }
    return this.run("set", () => this.keyValue.set(key, value, ttlSeconds));
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.run("get", () => this.keyValue.get(key));
  }

  delete(key: string): Promise<void> {
    return this.run("delete", () => this.keyValue.delete(key));
  }

  exists(key: string): Promise<boolean> {
    return this.run("exists", () => this.keyValue.exists(key));
  }

  /** Stores `value` only while `key` holds `expected` (`undefined`: absent or expired), in one statement. */
  compareAndSet(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    return this.run("compareAndSet", () => this.keyValue.compareAndSet(key, expected, value));
  }

  /**
   * `BEGIN` on a pooled connection (`TransactionalState`, for `behavior.transactional`); the processor
   * reaches the client through `transactionOf(context)`. The processed-positions table is created on
   * first use.
   */
  beginTransaction(): Promise<StateTransaction<pg.PoolClient>> {
    return this.run("beginTransaction", () =>
      this.transactions.begin((error, operation) => this.mapError(error, operation)),
    );
  }

  /** Deletes processed-position records that cannot be needed again (and any older than 7 days). */
  forgetRecorded(key: string, positions: readonly Position[]): Promise<void> {
    return this.run("forgetRecorded", () => this.transactions.forget(key, positions));
  }

  enqueue(queue: string, payload: Uint8Array, metadata: Metadata = {}): Promise<string> {
    return this.run("enqueue", () => this.work.enqueue(queue, payload, metadata));
  }

  /**
   * Receivers of a queue compete for its messages (`options.group` and `consumerId` are not used: one
   * group per queue). Iteration ends when `options.signal` aborts or the driver is closed.
   */
  async receive(queue: string, options: ReceiveOptions = {}): Promise<AsyncIterable<Message>> {
    this.assertOpen("receive");
    const signal = anySignal(options.signal, this.closing.signal);
    await this.listener.ensureListening();
    const receiver = this.unsettled.receiver({
      renewEveryMs: this.settings.visibilityTimeoutMs / 3,
      renew: (messages) => this.work.extend(messages),
      onError: (error) =>
        this.logger.warn("postgres: could not extend the visibility of claimed messages", {
          error: describeError(this.mapError(error, "extend visibility")),
        }),
    });
    return receiveMessages(queue, signal, {
      work: this.work,
      listener: this.listener,
      pollIntervalMs: this.settings.pollIntervalMs,
      unsettled: this.unsettled,
      receiver,
      mapError: (error) => this.mapError(error, "receive"),
    });
  }

  acknowledge(message: Message): Promise<void> {
    this.unsettled.settle(message);
    return this.run("acknowledge", () => this.work.acknowledge(message));
  }

  /** Deletes the rows of many messages in one statement (`BatchAcknowledgement`). */
  acknowledgeBatch(messages: readonly Message[]): Promise<void> {
    for (const message of messages) this.unsettled.settle(message);
    return this.run("acknowledge", () => this.work.acknowledgeBatch(messages));
  }

  reject(message: Message, requeue: boolean): Promise<void> {
    this.unsettled.settle(message);
    return this.run("reject", () => this.work.reject(message, requeue));
  }

  /**
   * The queue's depth: rows waiting or being processed. One group per queue, so `group` is not used.
   */
  consumerLag(topic: string, _group: string): Promise<Readonly<Record<string, number>>> {
    return this.run("consumerLag", () => this.browser.depth(topic));
  }

  /** The queue's rows after `options.after`, oldest first, without claiming them (none is hidden). */
  browse(queue: string, options: BrowseOptions = {}): Promise<readonly Message[]> {
    return this.run("browse", () => this.browser.browse(queue, options));
  }

  /** Deletes rows of the queue by id. */
  remove(queue: string, ids: readonly string[]): Promise<number> {
    return this.run("remove", () => this.browser.remove(queue, ids));
  }

  /**
   * Ends receive iterations, stops the purge timer, closes the LISTEN connection and, unless the pool
   * was passed in, ends the pool. Safe to call more than once.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing.abort();
      clearInterval(this.purgeTimer);
      await this.listener.close();
      if (this.ownsPool) await this.pool.end().catch(() => {});
      else this.pool.off("error", this.onPoolError);
    })();
    return this.closed;
  }

  private get logger(): Logger {
    return this.settings.logger;
  }

  private purgeExpired(): void {
    this.keyValue.purgeExpired().catch((error) => {
      this.logger.warn("postgres: purging expired keys failed; reads ignore them anyway", {
        error: describeError(this.mapError(error, "purge")),
      });
    });
  }

  private async run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    this.assertOpen(operation);
    try {
      return await work();
    } catch (error) {
      throw this.mapError(error, operation);
    }
  }

  private assertOpen(operation: string): void {
    if (this.closed) {
      throw new PrismError(PrismErrorCode.Lifecycle, `postgres ${operation}: the driver is closed`);
    }
  }

  private mapError(error: unknown, operation: string): PrismError {
    return mapPostgresError(error, { operation, target: this.settings.target });
  }
}

/** Aborts when either signal does (AbortSignal.any needs Node 20.3). */
function anySignal(first: AbortSignal | undefined, second: AbortSignal): AbortSignal {
  if (!first) return second;
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (first.aborted || second.aborted) abort();
  first.addEventListener("abort", abort, { once: true });
  second.addEventListener("abort", abort, { once: true });
  return controller.signal;
}
