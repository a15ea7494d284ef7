import { Admin, findErrorBy, ListOffsetTimestamps, ProduceAcks, Producer } from "@platformatic/kafka";
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
  partitionLag,
  reconnectDelay,
  recordId,
} from "@prism/consumer-core/driver";
import {
  type PlatformaticKafkaDriverOptions,
  type ResolvedPlatformaticOptions,
  resolveOptions,
} from "./config.js";
import { mapPlatformaticError } from "./errors.js";
import { type ClientOptions, clientOptions } from "./internal/client-options.js";
import { toProducedMessage } from "./internal/convert.js";
import { assertSupportedNode } from "./internal/node-version.js";
import { Subscription } from "./internal/subscription.js";

// @platformatic/kafka may load on an older Node and fail later; this says why at once.
assertSupportedNode();

const defaultQueueGroup = "prism";

/**
 * The `@prism/driver-kafka` slots on @platformatic/kafka: Kafka topics as a `QueueInterface`
 * (acknowledged offsets are committed to the Kafka group) and as a `PubSubInterface` (no commits: the
 * consumer's checkpoint is the position). Either way, partitions start after the consumer's checkpoint in
 * its state store when one exists (`ResumableSource`), and the consumer shows the partitions this process
 * owns (`PartitionedSource`). Partition hand-overs are told to the consumer (`onGroupChange`), which
 * commits what it finished before a partition moves.
 */
export class PlatformaticKafkaDriver
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
  private producer: Producer | undefined;
  private health: { connected: boolean; reconnects: number; lastError?: string } = {
    connected: true,
    reconnects: 0,
  };
  private closed = false;

  private constructor(
    private readonly admin: Admin,
    private readonly client: ClientOptions,
    private readonly options: ResolvedPlatformaticOptions,
  ) {}

  /** Connects (failing fast when no broker answers) and returns the driver. */
  static async connect(options: PlatformaticKafkaDriverOptions): Promise<PlatformaticKafkaDriver> {
    const resolved = resolveOptions(options);
    const client = clientOptions(resolved);
    const admin = new Admin({ ...client, retries: 1 });
    try {
      await admin.metadata({ topics: [] });
    } catch (error) {
      await admin.close().catch(() => {});
      throw mapPlatformaticError(error, `connecting to ${resolved.brokers.join(",")}`);
    }
    return new PlatformaticKafkaDriver(admin, client, resolved);
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
      const partitions = await this.partitionsOf(topic);
      const [low, high, committed] = await Promise.all([
        this.offsetsAt(topic, partitions, ListOffsetTimestamps.EARLIEST),
        this.offsetsAt(topic, partitions, ListOffsetTimestamps.LATEST),
        this.committedOffsets(topic, group, partitions),
      ]);
      const ends = partitions.map((partition) => ({
        partition,
        low: low.get(partition) ?? 0n,
        high: high.get(partition) ?? 0n,
      }));
      return await partitionLag(ends, committed, this.readers.resumeOf(topic, group));
    } catch (error) {
      throw mapPlatformaticError(error, `lag of group "${group}" on "${topic}"`);
    }
  }

  driverHealth(): DriverHealth {
    return { ...this.health };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.readers.closeAll();
    await this.producer?.close().catch(() => {});
    await this.admin.close().catch(() => {});
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
          client: this.client,
          groupSize: async () =>
            (await this.admin.describeGroups({ groups: [group] })).get(group)?.members.size ?? 0,
          startOf: async (partition) => {
            const committed = (await this.committedOffsets(topic, group, [partition])).get(partition);
            if (committed !== undefined && committed >= 0n) return committed;
            return (
              (await this.offsetsAt(topic, [partition], ListOffsetTimestamps.EARLIEST)).get(partition) ?? 0n
            );
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
      this.producer ??= this.createProducer();
      const result = await this.producer.send({
        acks: ProduceAcks.ALL,
        messages: [toProducedMessage(topic, payload, metadata)],
      });
      const written = result.offsets?.[0];
      if (!written) throw new Error("the broker returned no offset");
      this.health = { ...this.health, connected: true };
      return recordId(written.partition, written.offset);
    } catch (error) {
      const mapped = mapPlatformaticError(error, `publishing to "${topic}"`);
      if (mapped.retryable) this.health = { ...this.health, connected: false, lastError: mapped.message };
      throw mapped;
    }
  }

  private createProducer(): Producer {
    // No idempotence: like the kafkajs driver, one acknowledged write per call (acks: all).
    return new Producer({ ...this.client, idempotent: false, autocreateTopics: false });
  }

  private async partitionsOf(topic: string): Promise<number[]> {
    const metadata = await this.admin.metadata({ topics: [topic] });
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    return Array.from({ length: count }, (_, partition) => partition);
  }

  private async offsetsAt(
    topic: string,
    partitions: readonly number[],
    timestamp: bigint,
  ): Promise<Map<number, bigint>> {
    const listed = await this.admin.listOffsets({
      topics: [
        { name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) },
      ],
    });
    const offsets = new Map<number, bigint>();
    for (const partition of listed.find((t) => t.name === topic)?.partitions ?? []) {
      offsets.set(partition.partitionIndex, partition.offset);
    }
    return offsets;
  }

  private async committedOffsets(
    topic: string,
    group: string,
    partitions: readonly number[],
  ): Promise<Map<number, bigint>> {
    const [listed] = await this.admin.listConsumerGroupOffsets({
      groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: [...partitions] }] }],
    });
    const committed = new Map<number, bigint>();
    for (const partition of listed?.topics.find((t) => t.name === topic)?.partitions ?? []) {
      committed.set(partition.partitionIndex, partition.committedOffset);
    }
    return committed;
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
      await this.admin.createTopics({ topics: [topic], partitions, replicas: replicationFactor });
    } catch (error) {
      if (error instanceof PrismError) throw error;
      if (!findTopicExists(error)) throw mapPlatformaticError(error, `creating topic "${topic}"`);
    }
    await this.waitForLeaders(topic);
  }

  /** A new topic's partitions need elected leaders before anyone can produce or fetch. */
  private async waitForLeaders(topic: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (let attempt = 1; ; attempt++) {
      try {
        const metadata = await this.admin.metadata({ topics: [topic], forceUpdate: true });
        const partitions = metadata.topics.get(topic)?.partitions ?? [];
        if (partitions.length > 0 && partitions.every((p) => p.leader >= 0)) return;
      } catch (error) {
        if (Date.now() > deadline)
          throw mapPlatformaticError(error, `waiting for leaders of topic "${topic}"`);
      }
      if (Date.now() > deadline) {
        throw new PrismError(
          PrismErrorCode.BackendUnavailable,
          `kafka: topic "${topic}" has no leaders after 30 s`,
          { retryable: true },
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

function findTopicExists(error: unknown): boolean {
  return error instanceof Error && findErrorBy(error, "apiId", "TOPIC_ALREADY_EXISTS") !== null;
}
