import {
  type CheckpointLookup,
  type GroupChange,
  isPrismError,
  type Message,
  PrismError,
  PrismErrorCode,
  pushChannel,
} from "@prism/consumer-core/driver";
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
  readonly offset: bigint;
  readonly epoch: number;
}

export interface SubscriptionOptions {
  readonly kafka: Kafka;
  /** Members of the group now (the coordinator's view), to tell whether a partition can come from another. */
  readonly groupSize: () => Promise<number>;
  readonly topic: string;
  readonly group: string;
  /** Queue mode tracks acknowledgements and commits them to the Kafka group; pub/sub does neither. */
  readonly mode: "pubsub" | "queue";
  readonly options: ResolvedKafkaOptions;
  readonly progress: (partition: number) => PartitionProgress;
  readonly resume: CheckpointLookup | undefined;
  readonly onReconnect: (error: unknown) => void;
  readonly onGroupChange: ((change: GroupChange) => void | Promise<void>) | undefined;
  /** Told when the subscription ends for good with an error retrying cannot fix (the reader gets it too). */
  readonly onFailure: (error: PrismError) => void;
}

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** How long a member giving partitions up waits for the consumer to finish and commit them. */
const revokeGraceMs = 10_000;

/**
 * One kafkajs group member for one topic. Fetched batches are handed to the reader through a bounded
 * channel (kafkajs waits — and heartbeats — while it is full).
 *
 * Partitions are positioned as soon as they are assigned, not when their next batch arrives: where this
 * driver left off, else right after the consumer's checkpoint (`resumeAfter`), else where Kafka's group
 * offset says. When the group rebalances (a member joins, leaves or died), every partition is given up
 * at once (kafkajs's eager protocol): what waits in the channel is taken back (those partitions rewind to
 * the first message the reader has not taken), the batch being handed over stops, and the consumer is
 * told (`revoking`) and given up to `revokeGraceMs` to finish and commit, before this member rejoins — so
 * a joining member waits for no backlog, and the next owner of a partition starts where this one stopped.
 */
export class Subscription {
  /** Partitions of the current generation; empty while the group rebalances. */
  readonly owned = new Set<number>();
  private readonly epochs = new Map<number, number>();
  /**
   * Per partition whose first batch since it was positioned has not come yet: where it starts, once looked
   * up (and sought). A batch from anywhere else is dropped: kafkajs fetches from the sought offset next.
   */
  private readonly positions = new Map<number, Promise<bigint | undefined>>();
  private readonly committed = new Map<number, bigint>();
  private readonly channel;
  private readonly consumer: Consumer;
  private commitTimer: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;
  private assigned: Set<number> = new Set();
  /** Set from the moment a rebalance is seen until the new assignment: nothing more is handed over. */
  private revoked: Promise<void> | undefined;
  /** Aborted when the generation's partitions are given up: ends waits to hand a message over. */
  private generation = new AbortController();
  private lastHeartbeatAt = 0;

  private constructor(private readonly o: SubscriptionOptions) {
    this.channel = pushChannel<Handed>({ capacity: o.options.bufferSize });
    this.consumer = o.kafka.consumer({
      groupId: o.group,
      sessionTimeout: o.options.sessionTimeoutMs,
      heartbeatInterval: o.options.heartbeatIntervalMs,
      // A fetch waits for data at most one heartbeat: an idle member still learns of a rebalance on time.
      maxWaitTimeInMs: o.options.heartbeatIntervalMs,
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
    // A rebalance kafkajs noticed between batches: it rejoins at once, so this cannot hold it back.
    consumer.on(consumer.events.REBALANCING, () => void this.revoke());
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

  /**
   * The messages, in fetch order per partition; ends when the subscription closes. Its iterator hands
   * over what is buffered without a promise per message (`takeBuffered`).
   */
  get messages(): AsyncIterable<Message> {
    const source = this.channel.iterable[Symbol.asyncIterator]() as AsyncIterator<Handed> & {
      takeBuffered(max: number): Handed[];
    };
    // A plain promise chain, not an async loop: it runs per message.
    const current = (
      next: IteratorResult<Handed>,
    ): IteratorResult<Message> | Promise<IteratorResult<Message>> => {
      if (next.done) return done;
      const { message, partition, epoch } = next.value;
      // A partition that was revoked or re-positioned got a new epoch, which drops what was fetched before.
      if (this.epochOf(partition) === epoch) return { done: false, value: message };
      return source.next().then(current);
    };
    const iterator: AsyncIterableIterator<Message> & { takeBuffered(max: number): Message[] } = {
      next: () => source.next().then(current),
      takeBuffered: (max) => {
        const taken: Message[] = [];
        for (const { message, partition, epoch } of source.takeBuffered(max)) {
          if (this.epochOf(partition) === epoch) taken.push(message);
        }
        return taken;
      },
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
    this.positions.set(partition, Promise.resolve(offset));
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

  /** A new generation's assignment: revoked partitions are forgotten, the rest positioned at once. */
  private assign(partitions: number[]): void {
    const next = new Set(partitions);
    const previous = this.assigned;
    for (const partition of this.assigned) {
      if (next.has(partition)) continue;
      this.bump(partition);
      this.o.progress(partition).forgetPosition();
    }
    this.assigned = next;
    this.revoked = undefined;
    this.generation = new AbortController();
    this.owned.clear();
    this.positions.clear();
    // A partition new to this member can come from another member only while there is one: alone in
    // the group (a first start, or after the others left or died), nobody else can be committing it.
    const others =
      [...next].some((partition) => !previous.has(partition)) &&
      this.o.groupSize().then(
        (size) => size > 1,
        () => true,
      );
    for (const partition of next) {
      this.owned.add(partition);
      const positioning = this.position(partition, !previous.has(partition) ? others : false);
      // Awaited by the partition's next batch (which fails with the error); never unhandled.
      positioning.catch(() => {});
      this.positions.set(partition, positioning);
    }
    void this.o.onGroupChange?.({
      kind: "assigned",
      partitions: [...next].sort((a, b) => a - b).map(String),
    });
  }

  /**
   * The group is rebalancing: stop handing over, take back what waits in the channel (its partitions
   * resume at the first message not taken), and let the consumer finish and commit. Once per generation.
   */
  private revoke(): Promise<void> {
    this.revoked ??= (async () => {
      this.generation.abort();
      const waiting = this.channel.drain();
      for (const { partition, offset } of waiting) {
        const progress = this.o.progress(partition);
        progress.undeliver(offset);
      }
      for (const partition of this.assigned) this.bump(partition);
      this.owned.clear();
      const partitions = [...this.assigned].sort((a, b) => a - b).map(String);
      if (partitions.length === 0 || !this.o.onGroupChange || this.closing) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.resolve(this.o.onGroupChange({ kind: "revoking", partitions })).catch(() => {}),
        new Promise((resolve) => {
          timer = setTimeout(resolve, revokeGraceMs);
        }),
      ]);
      clearTimeout(timer);
    })();
    return this.revoked;
  }

  private async handBatch({ batch, resolveOffset, heartbeat, isRunning }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    if (!this.owned.has(partition) || this.closing || this.revoked) return;
    const epoch = this.epochOf(partition);
    const positioning = this.positions.get(partition);
    if (positioning) {
      const start = await positioning;
      const first = batch.firstOffset();
      // The partition was sought elsewhere: kafkajs fetches from there next.
      if (start !== undefined && (first === null || BigInt(first) !== start)) return;
      if (this.positions.get(partition) === positioning) this.positions.delete(partition);
    }
    const progress = this.o.progress(partition);
    // Resolved once, when the loop ends: kafkajs's resolveOffset costs more per message than the rest of
    // the hand-over, and only the last resolved offset matters (where the next fetch starts).
    let resolved: string | undefined;
    try {
      for (const kafkaMessage of batch.messages) {
        // Every seek and rebalance bumps the partition's epoch, so the epoch also tells a stale batch.
        if (!isRunning() || this.closing || this.epochOf(partition) !== epoch) return;
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
  private async handWhenRoom(item: Handed, heartbeat: () => Promise<void>): Promise<boolean> {
    const pushed = this.channel.push(item, this.generation.signal);
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
        await this.revoke();
        if (!(await pushed)) this.o.progress(item.partition).undeliver(item.offset);
        throw error;
      }
    }
  }

  /**
   * Where `partition` starts in this generation, sought at once (not when its next batch comes). A
   * partition new to this member, while the group has other members, may come from one that is committing
   * it right now — kafkajs rejoins without waiting when it notices a rebalance between batches — so its
   * checkpoint is read one heartbeat interval later, after that commit (`handedOver` says whether).
   */
  private async position(
    partition: number,
    handedOver: false | Promise<boolean>,
  ): Promise<bigint | undefined> {
    if (handedOver && (await handedOver)) {
      await new Promise((resolve) => setTimeout(resolve, this.o.options.heartbeatIntervalMs));
    }
    const start = await this.startOffset(partition, this.o.progress(partition));
    if (start !== undefined && this.assigned.has(partition) && !this.closing) {
      this.o.progress(partition).next = start;
      this.consumer.seek({ topic: this.o.topic, partition, offset: String(start) });
    }
    return start;
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
