import type {
  BatchAcknowledgement,
  Closable,
  DriverHealth,
  HealthReporting,
  LagReporting,
  PartitionedSource,
  ResumableSource,
} from "./capabilities.js";
import { describeError, PrismError, PrismErrorCode } from "./errors.js";
import type {
  CheckpointLookup,
  PubSubInterface,
  QueueInterface,
  ReceiveOptions,
  SubscribeOptions,
} from "./interfaces.js";
import type { Message, Metadata } from "./message.js";
import { type PartitionReader, type PartitionReaderContext, PartitionReaders } from "./partition-readers.js";
import { reconnectDelay } from "./reconnect-backoff.js";

/** What a partitioned-log driver's reader is given when it opens (`PartitionedLogDriver.openReader`). */
export interface ReaderContext extends PartitionReaderContext {
  readonly topic: string;
  readonly group: string;
  /** Queue mode tracks acknowledgements and commits them to the group; pub/sub does neither. */
  readonly mode: "pubsub" | "queue";
  readonly options: SubscribeOptions;
  /** Count a reconnect (shown in `driverHealth()`). */
  readonly onReconnect: (error: unknown) => void;
  /** The reader ended for good with an error retrying cannot fix. */
  readonly onFailure: (error: PrismError) => void;
}

/** Settings a `PartitionedLogDriver` needs from its subclass. */
export interface PartitionedLogSettings {
  /** Prefix of its messages: `kafka: topic "x" …`. */
  readonly name: string;
  /** Create a topic that does not exist (else fail naming `create_topics`). */
  readonly createTopics: boolean;
}

const defaultQueueGroup = "prism";

/**
 * A driver for a partitioned log (Kafka) over any client: topics as a `QueueInterface` (acknowledged
 * offsets are committed to the group) and as a `PubSubInterface` (no commits: the consumer's checkpoint is
 * the position), partitions resumed after the consumer's checkpoint (`ResumableSource`), the partitions
 * this process owns (`PartitionedSource`), lag and health. A subclass brings its client: sending, opening
 * a group member (a `PartitionReader`), topic administration and lag offsets.
 */
export abstract class PartitionedLogDriver<R extends PartitionReader>
  implements
    PubSubInterface,
    QueueInterface,
    BatchAcknowledgement,
    ResumableSource,
    PartitionedSource,
    HealthReporting,
    LagReporting,
    Closable
{
  protected readonly readers = new PartitionReaders<R>();
  protected health: { connected: boolean; reconnects: number; lastError?: string } = {
    connected: true,
    reconnects: 0,
  };
  private readonly topicsReady = new Map<string, Promise<void>>();
  private closed = false;

  protected constructor(private readonly settings: PartitionedLogSettings) {}

  /** Writes one record and returns its id (`partition-offset`); the topic exists by then. */
  protected abstract send(topic: string, payload: Uint8Array, metadata: Metadata): Promise<string>;
  /** Joins the group and resolves once partitions are assigned. */
  protected abstract openReader(context: ReaderContext): Promise<R>;
  /** Per partition, how far `group` is behind (`checkpoint`: the consumer's, for pub/sub mode). */
  protected abstract lag(
    topic: string,
    group: string,
    checkpoint: CheckpointLookup | undefined,
  ): Promise<Record<string, number>>;
  protected abstract topicExists(topic: string): Promise<boolean>;
  /** Creates the topic; one that exists already (another process was first) is no error. */
  protected abstract createTopic(topic: string): Promise<void>;
  /** Whether every partition of the topic has a leader (a new topic's need a moment). */
  protected abstract leadersElected(topic: string): Promise<boolean>;
  /** The client's error as a `PrismError` saying what failed. */
  protected abstract mapError(error: unknown, action: string): PrismError;
  /** Closes the clients (after every reader closed). */
  protected abstract closeClients(): Promise<void>;

  async publish(topic: string, payload: Uint8Array, metadata: Metadata = {}): Promise<string> {
    this.assertOpen();
    await this.ensureTopic(topic);
    return this.send(topic, payload, metadata);
  }

  enqueue(queue: string, payload: Uint8Array, metadata: Metadata = {}): Promise<string> {
    return this.publish(queue, payload, metadata);
  }

  /** Joins consumer group `subscriberId`; a new group starts at the earliest offsets. */
  subscribe(
    topic: string,
    subscriberId: string,
    options: SubscribeOptions = {},
  ): Promise<AsyncIterable<Message>> {
    return this.open(topic, subscriberId, "pubsub", options);
  }

  receive(queue: string, options: ReceiveOptions = {}): Promise<AsyncIterable<Message>> {
    return this.open(queue, options.group ?? defaultQueueGroup, "queue", options);
  }

  async unsubscribe(topic: string, subscriberId: string): Promise<void> {
    await this.readers.close(topic, subscriberId);
  }

  async acknowledge(message: Message): Promise<void> {
    this.readers.settle([message]);
  }

  /** Settles many messages at once (`BatchAcknowledgement`): committed with the next group commit. */
  async acknowledgeBatch(messages: readonly Message[]): Promise<void> {
    this.readers.settle(messages);
  }

  /**
   * `requeue`: a log cannot redeliver one message, so the partition is rewound to it (what followed is
   * delivered again too). Without `requeue` the message counts as settled.
   */
  async reject(message: Message, requeue: boolean): Promise<void> {
    this.readers.reject(message, requeue);
  }

  async resumeAfter(topic: string, group: string, lookup: CheckpointLookup): Promise<void> {
    this.readers.resumeAfter(topic, group, lookup);
  }

  ownedPartitions(topic: string, group: string): ReadonlySet<string> {
    return this.readers.ownedPartitions(topic, group);
  }

  /**
   * Per partition: the high watermark minus where the group continues — the later of its offset committed
   * to the broker (queue mode) and the consumer's checkpoint (read through `resumeAfter`'s lookup, pub/sub).
   */
  async consumerLag(topic: string, group: string): Promise<Readonly<Record<string, number>>> {
    this.assertOpen();
    try {
      return await this.lag(topic, group, this.readers.resumeOf(topic, group));
    } catch (error) {
      throw this.mapError(error, `lag of group "${group}" on "${topic}"`);
    }
  }

  driverHealth(): DriverHealth {
    return { ...this.health };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.readers.closeAll();
    await this.closeClients();
  }

  protected assertOpen(): void {
    if (this.closed) {
      throw new PrismError(PrismErrorCode.Lifecycle, `${this.settings.name}: the driver is closed`);
    }
  }

  private async open(
    topic: string,
    group: string,
    mode: "pubsub" | "queue",
    options: SubscribeOptions,
  ): Promise<AsyncIterable<Message>> {
    this.assertOpen();
    await this.ensureTopic(topic);
    return this.readers.open(topic, group, mode, (context) =>
      this.openReader({
        ...context,
        topic,
        group,
        mode,
        options,
        onReconnect: (error) => {
          this.health = {
            ...this.health,
            reconnects: this.health.reconnects + 1,
            lastError: describeError(error),
          };
        },
        onFailure: (error) => {
          this.health = { ...this.health, lastError: error.message };
        },
      }),
    );
  }

  /** Creates the topic when absent (and allowed), once per topic and driver. */
  private ensureTopic(topic: string): Promise<void> {
    let ready = this.topicsReady.get(topic);
    if (!ready) {
      ready = this.createOrCheckTopic(topic).catch((error) => {
        this.topicsReady.delete(topic);
        throw error;
      });
      this.topicsReady.set(topic, ready);
    }
    return ready;
  }

  private async createOrCheckTopic(topic: string): Promise<void> {
    try {
      if (await this.topicExists(topic)) return;
      if (!this.settings.createTopics) {
        throw new PrismError(
          PrismErrorCode.BackendRejected,
          `${this.settings.name}: topic "${topic}" does not exist and create_topics is false`,
        );
      }
      await this.createTopic(topic);
    } catch (error) {
      throw error instanceof PrismError ? error : this.mapError(error, `creating topic "${topic}"`);
    }
    await this.waitForLeaders(topic);
  }

  /** A new topic's partitions need elected leaders before anyone can produce or fetch. */
  private async waitForLeaders(topic: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (let attempt = 1; ; attempt++) {
      try {
        if (await this.leadersElected(topic)) return;
      } catch (error) {
        if (Date.now() > deadline) throw this.mapError(error, `waiting for leaders of topic "${topic}"`);
      }
      if (Date.now() > deadline) {
        throw new PrismError(
          PrismErrorCode.BackendUnavailable,
          `${this.settings.name}: topic "${topic}" has no leaders after 30 s`,
          { retryable: true },
        );
      }
      await new Promise((resolve) =>
        setTimeout(resolve, reconnectDelay(attempt, { initialMs: 50, maxMs: 1000 })),
      );
    }
  }
}
