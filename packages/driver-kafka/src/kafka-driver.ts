import {
  type CheckpointLookup,
  type Metadata,
  PartitionedLogDriver,
  type PrismError,
  type ReaderContext,
  recordId,
} from "@prism/consumer-core/driver";
import { type Admin, Kafka, type LogEntry, logLevel, type Producer, type SASLOptions } from "kafkajs";
import { type KafkaDriverOptions, type ResolvedKafkaOptions, resolveOptions } from "./config.js";
import { mapKafkaError } from "./errors.js";
import { toKafkaMessage } from "./internal/convert.js";
import { groupLag } from "./internal/group-lag.js";
import { Subscription } from "./internal/subscription.js";

/**
 * Kafka topics as a `QueueInterface` (acknowledged offsets are committed to the Kafka group) and as a
 * `PubSubInterface` (no commits: the consumer's checkpoint is the position), on kafkajs. Either way,
 * partitions start after the consumer's checkpoint in its state store when one exists (`ResumableSource`),
 * and the consumer shows the partitions this process owns (`PartitionedSource`). Partition hand-overs are
 * told to the consumer (`onGroupChange`), which commits what it finished before a partition moves. What
 * does not depend on the client is core's `PartitionedLogDriver`.
 */
export class KafkaDriver extends PartitionedLogDriver<Subscription> {
  private producer: Promise<Producer> | undefined;

  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly options: ResolvedKafkaOptions,
  ) {
    super({ name: "kafka", createTopics: options.createTopics });
  }

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

  protected openReader(context: ReaderContext): Promise<Subscription> {
    const { group } = context;
    return Subscription.open(
      {
        ...context,
        kafka: this.kafka,
        groupSize: async () => {
          const { groups } = await this.admin.describeGroups([group]);
          return groups[0]?.members.length ?? 0;
        },
        options: this.options,
        onGroupChange: context.options.onGroupChange,
      },
      context.options.signal,
    );
  }

  protected lag(
    topic: string,
    group: string,
    checkpoint: CheckpointLookup | undefined,
  ): Promise<Record<string, number>> {
    return groupLag(this.admin, topic, group, checkpoint);
  }

  protected mapError(error: unknown, action: string): PrismError {
    return mapKafkaError(error, action);
  }

  protected async closeClients(): Promise<void> {
    const producer = await this.producer?.catch(() => undefined);
    await producer?.disconnect().catch(() => {});
    await this.admin.disconnect().catch(() => {});
  }

  protected async send(topic: string, payload: Uint8Array, metadata: Metadata): Promise<string> {
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

  protected async topicExists(topic: string): Promise<boolean> {
    return (await this.admin.listTopics()).includes(topic);
  }

  protected async createTopic(topic: string): Promise<void> {
    const { partitions, replicationFactor } = this.options;
    try {
      await this.admin.createTopics({
        waitForLeaders: false,
        topics: [{ topic, numPartitions: partitions, replicationFactor }],
      });
    } catch (error) {
      if ((error as { type?: unknown }).type !== "TOPIC_ALREADY_EXISTS") throw error;
    }
  }

  protected async leadersElected(topic: string): Promise<boolean> {
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = topics[0]?.partitions ?? [];
    return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
  }
}

function forwardLog(options: ResolvedKafkaOptions, entry: LogEntry): void {
  const logger = options.logger;
  if (!logger) return;
  const text = `kafkajs ${entry.namespace}: ${entry.log.message}`;
  if (entry.level === logLevel.ERROR) logger.error(text);
  else if (entry.level === logLevel.WARN) logger.warn(text);
}
