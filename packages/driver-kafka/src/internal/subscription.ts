import {
  type CheckpointLookup,
  isPrismError,
  type Message,
  PrismError,
  PrismErrorCode,
  pushChannel,
} from "@prism/consumer-core";
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import type { ResolvedKafkaOptions } from "../config.js";
import { mapKafkaError } from "../errors.js";
import { toMessage } from "./convert.js";
import type { PartitionProgress } from "./partition-progress.js";
import { subscriptionAwareAssigner } from "./subscription-aware-assigner.js";

/** A message on its way to the reader, stamped with the partition's epoch when it was fetched. */
interface Handed {
  readonly message: Message;
  readonly partition: number;
  readonly epoch: number;
}

export interface SubscriptionOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly group: string;
  /** Queue mode tracks acknowledgements and commits them to the Kafka group; pub/sub does neither. */
  readonly mode: "pubsub" | "queue";
  readonly options: ResolvedKafkaOptions;
  readonly progress: (partition: number) => PartitionProgress;
  readonly resume: CheckpointLookup | undefined;
  readonly onReconnect: (error: unknown) => void;
  /** Told when the subscription ends for good with an error retrying cannot fix (the reader gets it too). */
  readonly onFailure: (error: PrismError) => void;
}

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * One kafkajs group member for one topic. Fetched batches are handed to the reader through a bounded
 * channel (kafkajs waits — and heartbeats — while it is full). Each partition is positioned on its first
 * batch of a group generation: where this driver left off, else right after the consumer's checkpoint
 * (`resumeAfter`), else where Kafka's group offset says. Messages of a partition that was revoked or
 * re-positioned while they waited are dropped before the reader sees them.
 */
export class Subscription {
  /** Partitions of the current generation; empty while the group rebalances. */
  readonly owned = new Set<number>();
  private readonly positioned = new Set<number>();
  private readonly epochs = new Map<number, number>();
  private readonly committed = new Map<number, bigint>();
  private readonly channel;
  private readonly consumer: Consumer;
  private commitTimer: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;
  private assigned: Set<number> = new Set();

  private constructor(private readonly o: SubscriptionOptions) {
    this.channel = pushChannel<Handed>({ capacity: o.options.bufferSize });
    this.consumer = o.kafka.consumer({
      groupId: o.group,
      sessionTimeout: o.options.sessionTimeoutMs,
      heartbeatInterval: o.options.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
      partitionAssigners: [subscriptionAwareAssigner],
    });
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
      this.assign(event.payload.memberAssignment[o.topic] ?? []);
      joined();
    });
    consumer.on(consumer.events.REBALANCING, () => this.owned.clear());
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
    const source = this.channel.iterable[Symbol.asyncIterator]();
    // A plain promise chain, not an async loop: it runs per message.
    const current = (
      next: IteratorResult<Handed>,
    ): IteratorResult<Message> | Promise<IteratorResult<Message>> => {
      if (next.done) return done;
      const { message, partition, epoch } = next.value;
      // Only the epoch decides: while the group rebalances (`owned` is empty) what waits here still belongs
      // to this member; a partition that is then revoked gets a new epoch, which drops the rest of it.
      if (this.epochOf(partition) === epoch) return { done: false, value: message };
      return source.next().then(current);
    };
    const iterator: AsyncIterableIterator<Message> = {
      next: () => source.next().then(current),
      return: async () => {
        await this.close();
        return done;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Delivers `offset` of `partition` again (and what followed it): Kafka's only way to redeliver. */
  rewind(partition: number, offset: bigint): boolean {
    // `assigned`, not `owned`: during a rebalance the partition is still ours until the new assignment.
    if (this.closing || !this.assigned.has(partition)) return false;
    this.bump(partition);
    this.o.progress(partition).next = offset;
    this.positioned.add(partition);
    this.consumer.seek({ topic: this.o.topic, partition, offset: String(offset) });
    return true;
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
      for (const partition of this.assigned) this.o.progress(partition).forgetPosition();
      this.owned.clear();
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

  private assign(partitions: number[]): void {
    const next = new Set(partitions);
    for (const partition of this.assigned) {
      if (next.has(partition)) continue;
      // Revoked: what waits in the channel is dropped, the new owner starts from the checkpoint.
      this.bump(partition);
      this.o.progress(partition).forgetPosition();
    }
    this.assigned = next;
    this.positioned.clear();
    this.owned.clear();
    for (const partition of next) this.owned.add(partition);
  }

  private async handBatch({ batch, resolveOffset, heartbeat, isRunning }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    if (!this.owned.has(partition) || this.closing) return;
    const progress = this.o.progress(partition);
    if (!this.positioned.has(partition)) {
      const start = await this.startOffset(partition, progress);
      this.positioned.add(partition);
      const first = batch.firstOffset();
      if (start !== undefined && (first === null || BigInt(first) !== start)) {
        this.consumer.seek({ topic: this.o.topic, partition, offset: String(start) });
        return;
      }
    }
    const epoch = this.epochOf(partition);
    // Resolved once, when the loop ends: kafkajs's resolveOffset costs more per message than the rest of
    // the hand-over, and only the last resolved offset matters (where the next fetch starts).
    let resolved: string | undefined;
    try {
      for (const kafkaMessage of batch.messages) {
        // Every seek of this class bumps the partition's epoch, so the epoch also tells a stale batch.
        if (!isRunning() || this.closing || this.epochOf(partition) !== epoch) return;
        const offset = BigInt(kafkaMessage.offset);
        const behind = progress.next !== undefined && offset < progress.next;
        if (behind || (this.o.mode === "queue" && progress.isSettled(offset))) {
          resolved = kafkaMessage.offset;
          continue;
        }
        const attempt = progress.deliver(offset, this.o.mode === "queue");
        const message = toMessage(this.o.topic, partition, kafkaMessage, attempt);
        const handed = { message, partition, epoch };
        if (!this.channel.offer(handed) && !(await this.handWhenRoom(handed, heartbeat))) return;
        resolved = kafkaMessage.offset;
      }
    } finally {
      if (resolved !== undefined) resolveOffset(resolved);
    }
  }

  /** Waits for room in the channel, heartbeating so a slow consumer does not lose its partitions. */
  private async handWhenRoom(item: Handed, heartbeat: () => Promise<void>): Promise<boolean> {
    const pushed = this.channel.push(item);
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = new Promise<"tick">((resolve) => {
        timer = setTimeout(() => resolve("tick"), this.o.options.heartbeatIntervalMs);
      });
      const outcome = await Promise.race([pushed, tick]);
      clearTimeout(timer);
      if (outcome !== "tick") return outcome;
      await heartbeat();
    }
  }

  private async startOffset(partition: number, progress: PartitionProgress): Promise<bigint | undefined> {
    if (progress.next !== undefined) return progress.next;
    const checkpoint = await this.o.resume?.(String(partition));
    if (checkpoint === undefined) return undefined;
    try {
      return BigInt(checkpoint) + 1n;
    } catch {
      throw new PrismError(
        PrismErrorCode.StateCorrupt,
        `kafka: checkpoint of partition ${partition} of "${this.o.topic}" is not an offset: ${String(checkpoint)}`,
      );
    }
  }

  private epochOf(partition: number): number {
    return this.epochs.get(partition) ?? 0;
  }

  private bump(partition: number): void {
    this.epochs.set(partition, this.epochOf(partition) + 1);
  }
}
