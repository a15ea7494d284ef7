import type {
  BatchAcknowledgement,
  CheckpointLookup,
  Closable,
  DriverHealth,
  HealthReporting,
  LagReporting,
  Message,
  Metadata,
  PartitionedSource,
  PubSubInterface,
  QueueInterface,
  ReceiveOptions,
  ResumableSource,
  SubscribeOptions,
} from "@prism/consumer-core/driver";
import {
  describeError,
  PartitionReaders,
  PrismError,
  PrismErrorCode,
  reconnectDelay,
  recordId,
} from "@prism/consumer-core/driver";
import { type Admin, Kafka, type LogEntry, logLevel, type Producer, type SASLOptions } from "kafkajs";
import { type KafkaDriverOptions, type ResolvedKafkaOptions, resolveOptions } from "./config.js";
import { mapKafkaError } from "./errors.js";
import { toKafkaMessage } from "./internal/convert.js";
import { groupLag } from "./internal/group-lag.js";
import { Subscription } from "./internal/subscription.js";

const defaultQueueGroup = "prism";

/**
 * Kafka topics as a `QueueInterface` (acknowledged offsets are committed to the Kafka group) and as a
 * `PubSubInterface` (no commits: the consumer's checkpoint is the position). Either way, partitions
 * start after the consumer's checkpoint in its state store when one exists (`ResumableSource`), and the
 * consumer shows the partitions this process owns (`PartitionedSource`). Partition hand-overs are told
 * to the consumer (`onGroupChange`), which commits what it finished before a partition moves.
 */
export class KafkaDriver
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
  private readonly readers = new PartitionReaders<Subscription>();
  private readonly topicsReady = new Map<string, Promise<void>>();
  private producer: Promise<Producer> | undefined;
  private health: { connected: boolean; reconnects: number; lastError?: string } = {
    connected: true,
    reconnects: 0,
  };
  private closed = false;

  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly options: ResolvedKafkaOptions,
  ) {}

  /** Connects (failing fast when no broker answers) and returns the driver. */
  static async connect(options: KafkaDriverOptions): Promise<KafkaDriver> {
    const resolved = resolveOptions(options);
    const kafka =
      resolved.kafka ??
      new Kafka({
        clientId: resolved.clientId,
        brokers: [...resolved.brokers],
        ssl: resolved.ssl,
        ...(resolved.sasl ? { sasl: { ...resolved.sasl } as SASLOptions } : {}),
        connectionTimeout: resolved.connectionTimeoutMs,
        retry: { initialRetryTime: 100, retries: 5 },
        logLevel: resolved.logger ? logLevel.WARN : logLevel.NOTHING,
        logCreator: () => (entry: LogEntry) => forwardLog(resolved, entry),
      });
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
    } catch (error) {
      await admin.disconnect().catch(() => {});
      throw mapKafkaError(
        error,
        `connecting to ${resolved.brokers.join(",") || "the brokers of the given kafkajs client"}`,
      );
    }
    return new KafkaDriver(kafka, admin, resolved);
  }

  publish(topic: string, payload: Uint8Array, metadata: Metadata = {}): Promise<string> {
    return this.send(topic, payload, metadata);
  }

  enqueue(queue: string, payload: Uint8Array, metadata: Metadata = {}): Promise<string> {
    return this.send(queue, payload, metadata);
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

  /** Settles many messages at once (`BatchAcknowledgement`): committed with the next Kafka group commit. */
  async acknowledgeBatch(messages: readonly Message[]): Promise<void> {
    this.readers.settle(messages);
  }

  /**
   * `requeue`: Kafka cannot redeliver one message, so the partition is rewound to it (what followed is
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
   * to Kafka (queue mode) and the consumer's checkpoint (read through `resumeAfter`'s lookup, pub/sub).
   */
  async consumerLag(topic: string, group: string): Promise<Readonly<Record<string, number>>> {
    this.assertOpen();
    try {
      return await groupLag(this.admin, topic, group, this.readers.resumeOf(topic, group));
    } catch (error) {
      throw mapKafkaError(error, `lag of group "${group}" on "${topic}"`);
    }
  }

  driverHealth(): DriverHealth {
    return { ...this.health };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.readers.closeAll();
    const producer = await this.producer?.catch(() => undefined);
    await producer?.disconnect().catch(() => {});
    await this.admin.disconnect().catch(() => {});
  }

  private async open(
    topic: string,
    group: string,
    mode: "pubsub" | "queue",
    { signal, onGroupChange }: SubscribeOptions,
  ): Promise<AsyncIterable<Message>> {
    this.assertOpen();
    await this.ensureTopic(topic);
    return this.readers.open(topic, group, mode, ({ progress, resume }) =>
      Subscription.open(
        {
          kafka: this.kafka,
          groupSize: async () => {
            const { groups } = await this.admin.describeGroups([group]);
            return groups[0]?.members.length ?? 0;
          },
          topic,
          group,
          mode,
          options: this.options,
          progress,
          resume,
          onGroupChange,
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
        },
        signal,
      ),
    );
  }

  private async send(topic: string, payload: Uint8Array, metadata: Metadata): Promise<string> {
    this.assertOpen();
    await this.ensureTopic(topic);
    try {
      const producer = await this.connectedProducer();
      const [record] = await producer.send({
        topic,
        acks: -1,
        messages: [toKafkaMessage(payload, metadata)],
      });
      if (!record || record.baseOffset === undefined) throw new Error("the broker returned no offset");
      return recordId(record.partition, record.baseOffset);
    } catch (error) {
      throw mapKafkaError(error, `publishing to "${topic}"`);
    }
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({ allowAutoTopicCreation: false });
      producer.on(producer.events.DISCONNECT, () => {
        this.health = { ...this.health, connected: false };
      });
      producer.on(producer.events.CONNECT, () => {
        this.health = { ...this.health, connected: true };
      });
      await producer.connect();
      return producer;
    })().catch((error) => {
      this.producer = undefined;
      throw error;
    });
    return this.producer;
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
    const { createTopics, partitions, replicationFactor } = this.options;
    try {
      const existing = await this.admin.listTopics();
      if (existing.includes(topic)) return;
      if (!createTopics) {
        throw new PrismError(
          PrismErrorCode.BackendRejected,
          `kafka: topic "${topic}" does not exist and create_topics is false`,
        );
      }
      await this.admin.createTopics({
        waitForLeaders: false,
        topics: [{ topic, numPartitions: partitions, replicationFactor }],
      });
    } catch (error) {
      if ((error as { type?: unknown }).type !== "TOPIC_ALREADY_EXISTS") {
        throw mapKafkaError(error, `creating topic "${topic}"`);
      }
    }
    await this.waitForLeaders(topic);
  }

  /** A new topic's partitions need elected leaders before anyone can produce or fetch. */
  private async waitForLeaders(topic: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
        const partitions = topics[0]?.partitions ?? [];
        if (partitions.length > 0 && partitions.every((p) => p.leader >= 0)) return;
      } catch (error) {
        if (Date.now() > deadline) throw mapKafkaError(error, `waiting for leaders of topic "${topic}"`);
      }
      if (Date.now() > deadline) {
        throw new PrismError(
          PrismErrorCode.BackendUnavailable,
          `kafka: topic "${topic}" has no leaders after 30 s`,
          {
            retryable: true,
          },
        );
      }
      await new Promise((resolve) =>
        setTimeout(resolve, reconnectDelay(attempt, { initialMs: 50, maxMs: 1000 })),
      );
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new PrismError(PrismErrorCode.Lifecycle, "kafka: the driver is closed");
  }
}

function forwardLog(options: ResolvedKafkaOptions, entry: LogEntry): void {
  const logger = options.logger;
  if (!logger) return;
  const text = `kafkajs ${entry.namespace}: ${entry.log.message}`;
  if (entry.level === logLevel.ERROR) logger.error(text);
  else if (entry.level === logLevel.WARN) logger.warn(text);
}
