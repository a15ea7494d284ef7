import { Admin, findErrorBy, ListOffsetTimestamps, ProduceAcks, Producer } from "@platformatic/kafka";
import {
  type CheckpointLookup,
  type Metadata,
  PartitionedLogDriver,
  type PrismError,
  partitionLag,
  type ReaderContext,
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

/**
 * The `@prism/driver-kafka` slots on @platformatic/kafka: Kafka topics as a `QueueInterface`
 * (acknowledged offsets are committed to the Kafka group) and as a `PubSubInterface` (the consumer's
 * checkpoint is the position), partitions resumed after the consumer's checkpoint, the partitions this
 * process owns, hand-overs told to the consumer before they happen. What does not depend on the client is
 * core's `PartitionedLogDriver`, as for the kafkajs driver.
 */
export class PlatformaticKafkaDriver extends PartitionedLogDriver<Subscription> {
  private producer: Producer | undefined;

  private constructor(
    private readonly admin: Admin,
    private readonly client: ClientOptions,
    private readonly options: ResolvedPlatformaticOptions,
  ) {
    super({ name: "kafka", createTopics: options.createTopics });
  }

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

  protected openReader(context: ReaderContext): Promise<Subscription> {
    const { topic, group } = context;
    return Subscription.open(
      {
        ...context,
        client: this.client,
        groupSize: async () =>
          (await this.admin.describeGroups({ groups: [group] })).get(group)?.members.size ?? 0,
        startOf: async (partition) => {
          const committed = (await this.committedOffsets(topic, group, [partition])).get(partition);
          if (committed !== undefined && committed >= 0n) return committed;
          const earliest = await this.offsetsAt(topic, [partition], ListOffsetTimestamps.EARLIEST);
          return earliest.get(partition) ?? 0n;
        },
        options: this.options,
        onGroupChange: context.options.onGroupChange,
      },
      context.options.signal,
    );
  }

  protected async lag(
    topic: string,
    group: string,
    checkpoint: CheckpointLookup | undefined,
  ): Promise<Record<string, number>> {
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
    return partitionLag(ends, committed, checkpoint);
  }

  protected mapError(error: unknown, action: string): PrismError {
    return mapPlatformaticError(error, action);
  }

  protected async closeClients(): Promise<void> {
    await this.producer?.close().catch(() => {});
    await this.admin.close().catch(() => {});
  }

  protected async send(topic: string, payload: Uint8Array, metadata: Metadata): Promise<string> {
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

  protected async topicExists(topic: string): Promise<boolean> {
    return (await this.admin.listTopics()).includes(topic);
  }

  protected async createTopic(topic: string): Promise<void> {
    const { partitions, replicationFactor } = this.options;
    try {
      await this.admin.createTopics({ topics: [topic], partitions, replicas: replicationFactor });
    } catch (error) {
      if (!(error instanceof Error && findErrorBy(error, "apiId", "TOPIC_ALREADY_EXISTS"))) throw error;
    }
  }

  protected async leadersElected(topic: string): Promise<boolean> {
    const metadata = await this.admin.metadata({ topics: [topic], forceUpdate: true });
    const partitions = metadata.topics.get(topic)?.partitions ?? [];
    return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
  }
}
