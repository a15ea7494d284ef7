import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { deadline, type NatsConnection } from "@nats-io/transport-node";
import {
  type AcknowledgedSubscriptions,
  type BatchAcknowledgement,
  type BrowsableQueue,
  type BrowseOptions,
  type CheckpointLookup,
  type Closable,
  type CompareAndSetStore,
  type DriverHealth,
  type HealthReporting,
  type KeyValueBasicInterface,
  type LagReporting,
  type Message,
  type Metadata,
  PrismError,
  PrismErrorCode,
  type PubSubInterface,
  type QueueInterface,
  type ReceiveOptions,
  type ResumableSource,
  type SubscribeOptions,
} from "@prism/consumer-core/driver";
import { type NatsDriverOptions, type ResolvedNatsOptions, resolveNatsOptions } from "./config.js";
import { mapNatsError } from "./errors.js";
import { openConnection } from "./internal/connection.js";
import { ConnectionHealth } from "./internal/connection-health.js";
import { CorePubSub } from "./internal/core-pubsub.js";
import { JetStreamSource } from "./internal/jetstream-source.js";
import { KvStore } from "./internal/kv-store.js";
import { Subscriptions } from "./internal/subscriptions.js";

/** How long `close()` lets open iterations give back what they pulled ahead, and pending acks flush. */
const closeGraceMs = 2000;

/**
 * NATS for Prism. Pub/sub goes through JetStream by default (durable consumer per group, at-least-once,
 * resumable from the consumer's checkpoint) or through core NATS with `jetstream: false` (queue groups,
 * at-most-once). The queue — also the dead-letter queue — is always JetStream: durable consumer per group,
 * explicit ack, nak (with `nakDelay`) to requeue, term to drop. The key/value methods — the state store —
 * use a JetStream KV bucket (`kvBucket`). Create it with `NatsDriver.connect`.
 */
export class NatsDriver
  implements
    PubSubInterface,
    AcknowledgedSubscriptions,
    BatchAcknowledgement,
    QueueInterface,
    KeyValueBasicInterface,
    CompareAndSetStore,
    ResumableSource,
    HealthReporting,
    LagReporting,
    BrowsableQueue,
    Closable
{
  private readonly health: ConnectionHealth;
  private readonly subscriptions = new Subscriptions();
  private readonly core: CorePubSub;
  private readonly kv: KvStore;
  private jetStream: Promise<JetStreamSource> | undefined;
  private closing: Promise<void> | undefined;
  private warnedCoreResume = false;

  private constructor(
    private readonly connection: NatsConnection,
    private readonly options: ResolvedNatsOptions,
  ) {
    this.health = new ConnectionHealth(connection);
    this.core = new CorePubSub(connection, this.subscriptions, this.health, {
      capacity: options.coreBuffer,
      logger: options.logger,
    });
    this.kv = new KvStore(connection, options);
  }

  /**
   * Connects (or wraps `options.connection`). Fails at once with a `PrismError` when no server answers,
   * authorization fails, or — in JetStream mode — JetStream does not answer; invalid options throw a
   * `ConfigError`.
   */
  static async connect(options: NatsDriverOptions = {}): Promise<NatsDriver> {
    const resolved = resolveNatsOptions(options, "camel", "options");
    const connection = resolved.connection ?? (await openConnection(resolved));
    const driver = new NatsDriver(connection, resolved);
    try {
      if (resolved.jetstream) await driver.jetStreamSource();
    } catch (error) {
      await driver.close();
      throw error;
    }
    return driver;
  }

  /** Core NATS messages dropped because a subscriber fell more than `coreBuffer` messages behind. */
  get droppedCoreMessages(): number {
    return this.core.droppedMessages;
  }

  /** JetStream: resolves with the stream sequence once stored. Core NATS: with a generated id once sent. */
  async publish(topic: string, payload: Uint8Array, metadata: Metadata = {}): Promise<string> {
    this.assertOpen();
    if (!this.options.jetstream) return this.core.publish(topic, payload, metadata);
    return (await this.jetStreamSource()).publish(topic, payload, metadata);
  }

  /**
   * Joins group `subscriberId` on `topic` (wildcards allowed): a JetStream durable consumer, or a core
   * NATS queue group. The iteration ends when `options.signal` aborts or on `unsubscribe`.
   */
  async subscribe(
    topic: string,
    subscriberId: string,
    options: SubscribeOptions = {},
  ): Promise<AsyncIterable<Message>> {
    this.assertOpen();
    if (!this.options.jetstream) return this.core.subscribe(topic, subscriberId, options);
    return (await this.jetStreamSource()).subscribe(topic, subscriberId, options);
  }

  /**
   * JetStream: reads `topic` as group `subscriberId` through the group's durable, with every message
   * pending until `acknowledge`d or `reject`ed — the consumer settles after processing — so the durable
   * (shared by every member, in any number of processes) redelivers what a member never settled, after
   * `ackWait`. After `resumeAfter`, a durable that does not exist yet starts right after the checkpoint;
   * an existing one is never moved. Core NATS (`jetstream: false`) keeps nothing pending: resolves
   * `undefined` (use `subscribe`).
   */
  async subscribeAcknowledged(
    topic: string,
    subscriberId: string,
    options: SubscribeOptions = {},
  ): Promise<AsyncIterable<Message> | undefined> {
    this.assertOpen();
    if (!this.options.jetstream) return undefined;
    return (await this.jetStreamSource()).receive(topic, { group: subscriberId, ...pickSignal(options) });
  }

  /** Ends this process's iterations of the group; a JetStream durable keeps its place for the next. */
  async unsubscribe(topic: string, subscriberId: string): Promise<void> {
    this.subscriptions.end(topic, subscriberId);
  }

  /**
   * JetStream: the next subscription of `topic` by `group` in this process starts right after the
   * checkpoint `lookup("0")` gives (the group's durable is moved there); a queue group's durable starts
   * there when it is created, and otherwise stays where its acknowledgements put it. Core NATS pub/sub
   * cannot start from a position: it warns once, and messages sent while nobody listened are gone.
   */
  async resumeAfter(topic: string, group: string, lookup: CheckpointLookup): Promise<void> {
    this.assertOpen();
    if (this.options.jetstream) {
      (await this.jetStreamSource()).resumeAfter(topic, group, lookup);
    } else if (!this.warnedCoreResume) {
      this.warnedCoreResume = true;
      this.options.logger.warn(
        "core NATS pub/sub cannot resume from a checkpoint: messages published while no subscriber listened " +
          "are lost (at-most-once); use jetstream: true for at-least-once",
        { topic, group },
      );
    }
  }

  /** Resolves with the stream sequence once JetStream has stored the message. */
  async enqueue(queue: string, payload: Uint8Array, metadata: Metadata = {}): Promise<string> {
    this.assertOpen();
    return (await this.jetStreamSource()).publish(queue, payload, metadata);
  }

  /** Receives `queue` as `options.group` (default group "prism"); settle each message with acknowledge/reject. */
  async receive(queue: string, options: ReceiveOptions = {}): Promise<AsyncIterable<Message>> {
    this.assertOpen();
    return (await this.jetStreamSource()).receive(queue, options);
  }

  async acknowledge(message: Message): Promise<void> {
    this.assertOpen();
    return (await this.jetStreamSource()).acknowledge(message);
  }

  /** Acknowledges many messages with one flush instead of a confirmation each (`BatchAcknowledgement`). */
  async acknowledgeBatch(messages: readonly Message[]): Promise<void> {
    this.assertOpen();
    return (await this.jetStreamSource()).acknowledgeBatch(messages);
  }

  async reject(message: Message, requeue: boolean): Promise<void> {
    this.assertOpen();
    return (await this.jetStreamSource()).reject(message, requeue);
  }

  /**
   * JetStream: the messages the group's durable on `topic` has not delivered plus those delivered and
   * not acknowledged (`num_pending + num_ack_pending`); empty before the group's first subscription.
   * Core NATS pub/sub (`jetstream: false`) keeps no such count: empty.
   */
  async consumerLag(topic: string, group: string): Promise<Readonly<Record<string, number>>> {
    this.assertOpen();
    if (!this.options.jetstream) return {};
    const source = await this.jetStreamSource();
    return source.browser.lag(topic, group).catch((error) => {
      throw mapNatsError(error, `lag of group "${group}" on "${topic}"`);
    });
  }

  /**
   * The messages JetStream stores for the subject `queue`, oldest first (ids are stream sequences), read
   * without a consumer: nothing is delivered or acknowledged. For browsing a dead-letter queue.
   */
  async browse(queue: string, options: BrowseOptions = {}): Promise<readonly Message[]> {
    this.assertOpen();
    const source = await this.jetStreamSource();
    return source.browser.browse(queue, options).catch((error) => {
      throw mapNatsError(error, `browse "${queue}"`);
    });
  }

  /** Deletes messages of the subject `queue` from its stream by sequence. */
  async remove(queue: string, ids: readonly string[]): Promise<number> {
    this.assertOpen();
    const source = await this.jetStreamSource();
    return source.browser.remove(queue, ids).catch((error) => {
      throw mapNatsError(error, `remove from "${queue}"`);
    });
  }

  /**
   * Stores `value` under `key` in the KV bucket (opened, or created, on first use). A `ttlSeconds` above 0
   * needs NATS 2.11 (per-message TTL; rounded up to whole seconds): older servers refuse it with
   * BACKEND_REJECTED, since they would keep the key forever.
   */
  async set(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void> {
    this.assertOpen();
    return this.kv.set(key, value, ttlSeconds);
  }

  /** The stored value; `undefined` when the key was never set, was deleted or has expired. */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.assertOpen();
    return this.kv.get(key);
  }

  /** Deletes the key (a delete marker in the bucket); deleting a missing key is fine. */
  async delete(key: string): Promise<void> {
    this.assertOpen();
    return this.kv.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    this.assertOpen();
    return this.kv.exists(key);
  }

  /** Stores `value` only while `key` holds `expected` (`undefined`: missing), on the revision read. */
  async compareAndSet(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    this.assertOpen();
    return this.kv.compareAndSet(key, expected, value);
  }

  /** Connected or not, reconnections since the driver was created, the last problem. */
  driverHealth(): DriverHealth {
    return this.health.snapshot();
  }

  /**
   * Ends every iteration (JetStream gives back what was pulled ahead), then closes the connection — unless
   * it was passed in as `connection`, which stays open. Safe to call more than once.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.subscriptions.endAll(closeGraceMs);
    this.health.stop();
    if (this.connection.isClosed()) return;
    // Acks and naks are fire-and-forget publishes: send them before the connection goes.
    await deadline(this.connection.flush(), closeGraceMs).catch(() => {});
    if (!this.options.connection) await this.connection.close();
  }

  private jetStreamSource(): Promise<JetStreamSource> {
    if (!this.jetStream) {
      const opening = this.openJetStream();
      this.jetStream = opening;
      opening.catch(() => {
        if (this.jetStream === opening) this.jetStream = undefined;
      });
    }
    return this.jetStream;
  }

  private async openJetStream(): Promise<JetStreamSource> {
    let jsm: Awaited<ReturnType<typeof jetstreamManager>>;
    try {
      jsm = await jetstreamManager(this.connection);
    } catch (error) {
      const mapped = mapNatsError(error, "JetStream account check");
      throw new PrismError(
        mapped.code,
        `${mapped.message}; is JetStream enabled on the server (nats-server -js)? ` +
          "Core NATS pub/sub works without it (jetstream: false), the queue does not",
        { cause: error },
      );
    }
    const js = jetstream(this.connection);
    return new JetStreamSource(this.connection, jsm, js, this.subscriptions, this.health, this.options);
  }

  private assertOpen(): void {
    if (this.closing) throw new PrismError(PrismErrorCode.Lifecycle, "the NATS driver is closed");
  }
}

function pickSignal(options: SubscribeOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
