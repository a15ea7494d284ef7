import {
  type GroupChange,
  type HandedMessage,
  isPrismError,
  type Message,
  PartitionHandover,
  PrismError,
  PrismErrorCode,
  pushChannel,
  type ReaderContext,
} from "@prism/consumer-core/driver";
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import type { ResolvedKafkaOptions } from "../config.js";
import { mapKafkaError } from "../errors.js";
import { toMessage } from "./convert.js";
import { subscriptionAwareAssigner } from "./subscription-aware-assigner.js";

export interface SubscriptionOptions extends Omit<ReaderContext, "options"> {
  readonly kafka: Kafka;
  /** Members of the group now (the coordinator's view), to tell whether a partition can come from another. */
  readonly groupSize: () => Promise<number>;
  readonly options: ResolvedKafkaOptions;
  readonly onGroupChange: ((change: GroupChange) => void | Promise<void>) | undefined;
}

/**
 * One kafkajs group member for one topic. Fetched batches are handed to the reader through a bounded
 * channel (kafkajs waits — and heartbeats — while it is full).
 *
 * Assignments, revocations and rewinds go through core's `PartitionHandover` (positioned at once; given
 * up before rejoining). When the group rebalances (a member joins, leaves or died), every partition is
 * given up at once (kafkajs's eager protocol), before this member rejoins — so a joining member waits for
 * no backlog, and the next owner of a partition starts where this one stopped. Where nothing positioned a
 * partition, kafkajs starts it at Kafka's group offset (or the earliest).
 */
export class Subscription {
  private readonly handover: PartitionHandover;
  private readonly committed = new Map<number, bigint>();
  private readonly channel;
  private readonly consumer: Consumer;
  private commitTimer: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;
  private lastHeartbeatAt = 0;

  private constructor(private readonly o: SubscriptionOptions) {
    this.channel = pushChannel<HandedMessage>({ capacity: o.options.bufferSize });
    this.consumer = o.kafka.consumer({
      groupId: o.group,
      sessionTimeout: o.options.sessionTimeoutMs,
      heartbeatInterval: o.options.heartbeatIntervalMs,
      // A fetch waits for data at most one heartbeat: an idle member still learns of a rebalance on time.
      maxWaitTimeInMs: o.options.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
      partitionAssigners: [subscriptionAwareAssigner],
    });
    this.handover = new PartitionHandover({
      driver: "kafka",
      topic: o.topic,
      progress: o.progress,
      resume: o.resume,
      groupSize: o.groupSize,
      heartbeatIntervalMs: o.options.heartbeatIntervalMs,
      onGroupChange: o.onGroupChange,
      seek: (partition, offset) => this.consumer.seek({ topic: o.topic, partition, offset: String(offset) }),
      drain: () => this.channel.drain(),
      closing: () => this.closing !== undefined,
    });
  }

  /** Partitions of the current generation; empty while the group rebalances. */
  get owned(): ReadonlySet<number> {
    return this.handover.owned;
  }

  /** Joins the group and resolves once partitions are assigned, so nothing published after is missed. */
  static async open(o: SubscriptionOptions, signal: AbortSignal | undefined): Promise<Subscription> {
    const subscription = new Subscription(o);
    await subscription.start();
    if (signal?.aborted) await subscription.close();
    else signal?.addEventListener("abort", () => void subscription.close(), { once: true });
    return subscription;
  }

  private async start(): Promise<void> {
    const { consumer, o } = this;
    let joined: () => void = () => {};
    const firstJoin = new Promise<void>((resolve) => {
      joined = resolve;
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.handover.assign(event.payload.memberAssignment[o.topic] ?? []);
      joined();
    });
    // A rebalance kafkajs noticed between batches: it rejoins at once, so this cannot hold it back.
    consumer.on(consumer.events.REBALANCING, () => void this.handover.revoke());
    // kafkajs restarts the member after a retriable crash; after any other it has stopped for good.
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart) o.onReconnect(event.payload.error);
      else this.fail(event.payload.error);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: o.options.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.handBatch(payload).catch((error) => this.failOrRetry(error)),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw mapKafkaError(error, `subscribing to "${o.topic}" as group "${o.group}"`);
    }
    const timeoutMs = o.options.sessionTimeoutMs * 2;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([firstJoin, timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      await consumer.disconnect().catch(() => {});
      throw new PrismError(
        PrismErrorCode.BackendUnavailable,
        `kafka: group "${o.group}" did not assign partitions of "${o.topic}" within ${timeoutMs} ms`,
      );
    }
    if (o.mode === "queue") {
      this.commitTimer = setInterval(() => void this.commit().catch(() => {}), o.options.commitIntervalMs);
      this.commitTimer.unref?.();
    }
  }

  /** The messages, in fetch order per partition; ends when the subscription closes. */
  get messages(): AsyncIterable<Message> {
    return this.handover.messagesOf(this.channel, () => this.close());
  }

  /** Delivers `offset` of `partition` again (and what followed it): Kafka's only way to redeliver. */
  rewind(partition: number, offset: bigint): boolean {
    return this.handover.rewind(partition, offset);
  }

  /** Commits settled queue offsets of the partitions this member owns to the Kafka group. */
  async commit(): Promise<void> {
    const offsets = [];
    for (const partition of this.owned) {
      const offset = this.o.progress(partition).committable();
      if (offset === undefined || this.committed.get(partition) === offset) continue;
      offsets.push({ topic: this.o.topic, partition, offset: String(offset) });
    }
    if (offsets.length === 0) return;
    await this.consumer.commitOffsets(offsets);
    for (const { partition, offset } of offsets) this.committed.set(partition, BigInt(offset));
  }

  /** Leaves the group: stops fetching, commits settled queue offsets, ends the message iteration. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.commitTimer);
      this.channel.end();
      if (this.o.mode === "queue") await this.commit().catch(() => {});
      this.handover.release();
      // Disconnecting leaves the group: the others rebalance at once instead of after the session timeout.
      await this.consumer.disconnect().catch(() => {});
    })();
    return this.closing;
  }

  /**
   * Our own errors that retrying cannot fix (a corrupt checkpoint) end the subscription; kafkajs would
   * otherwise retry the batch and restart the member forever, stalling the partition while the consumer
   * looks healthy. Anything else goes back to kafkajs to retry.
   */
  private failOrRetry(error: unknown): void {
    if (!isPrismError(error) || error.retryable) throw error;
    this.fail(error);
  }

  /** Ends the subscription with `error`: the reader's next pull throws it, so the consumer fails. */
  private fail(error: unknown): void {
    if (this.closing) return;
    const failure = mapKafkaError(error, `consuming "${this.o.topic}" as group "${this.o.group}"`);
    this.o.onFailure(failure);
    this.channel.end(failure);
    void this.close();
  }

  private async handBatch({ batch, resolveOffset, heartbeat, isRunning }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    const handover = this.handover;
    if (!handover.owned.has(partition) || this.closing || handover.revoking) return;
    const epoch = handover.epochOf(partition);
    const positioning = handover.positions.get(partition);
    if (positioning) {
      const start = await positioning;
      const first = batch.firstOffset();
      // The partition was sought elsewhere: kafkajs fetches from there next.
      if (start !== undefined && (first === null || BigInt(first) !== start)) return;
      if (handover.positions.get(partition) === positioning) handover.positions.delete(partition);
    }
    const progress = this.o.progress(partition);
    // Resolved once, when the loop ends: kafkajs's resolveOffset costs more per message than the rest of
    // the hand-over, and only the last resolved offset matters (where the next fetch starts).
    let resolved: string | undefined;
    try {
      for (const kafkaMessage of batch.messages) {
        // Every seek and rebalance bumps the partition's epoch, so the epoch also tells a stale batch.
        if (!isRunning() || this.closing || handover.epochOf(partition) !== epoch) return;
        const offset = BigInt(kafkaMessage.offset);
        const behind = progress.next !== undefined && offset < progress.next;
        if (behind || (this.o.mode === "queue" && progress.isSettled(offset))) {
          resolved = kafkaMessage.offset;
          continue;
        }
        const attempt = progress.deliver(offset, this.o.mode === "queue");
        const message = toMessage(this.o.topic, partition, kafkaMessage, attempt);
        const handed = { message, partition, offset, epoch };
        if (!this.channel.offer(handed) && !(await this.handWhenRoom(handed, heartbeat))) {
          progress.undeliver(offset);
          return;
        }
        resolved = kafkaMessage.offset;
      }
    } finally {
      if (resolved !== undefined) resolveOffset(resolved);
    }
  }

  /**
   * Waits for room in the channel, heartbeating on time so the group sees this member alive and this
   * member sees a rebalance: then it gives its partitions up (see `revoke`) before kafkajs rejoins.
   */
  private async handWhenRoom(item: HandedMessage, heartbeat: () => Promise<void>): Promise<boolean> {
    const pushed = this.channel.push(item, this.handover.generation.signal);
    const interval = this.o.options.heartbeatIntervalMs;
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const dueIn = Math.max(0, this.lastHeartbeatAt + interval - Date.now());
      const tick = new Promise<"tick">((resolve) => {
        timer = setTimeout(() => resolve("tick"), dueIn);
      });
      const outcome = await Promise.race([pushed, tick]);
      clearTimeout(timer);
      if (outcome !== "tick") return outcome;
      this.lastHeartbeatAt = Date.now();
      try {
        await heartbeat();
      } catch (error) {
        // Rebalancing (or the session is gone): give up before kafkajs rejoins, then let it handle the error.
        await this.handover.revoke();
        if (!(await pushed)) this.o.progress(item.partition).undeliver(item.offset);
        throw error;
      }
    }
  }
}
