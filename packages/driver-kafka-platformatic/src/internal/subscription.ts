import { Consumer, findErrorBy, IS_CONTROL } from "@platformatic/kafka";
import {
  type GroupChange,
  type HandedMessage,
  isPrismError,
  type Message,
  PartitionHandover,
  type PartitionProgress,
  PrismError,
  PrismErrorCode,
  pushChannel,
  type ReaderContext,
  reconnectDelay,
} from "@prism/consumer-core/driver";
import type { ResolvedPlatformaticOptions } from "../config.js";
import { mapPlatformaticError } from "../errors.js";
import { subscriptionAwareAssigner } from "./assigner.js";
import type { ClientOptions } from "./client-options.js";
import { toMessage } from "./convert.js";

export interface SubscriptionOptions extends Omit<ReaderContext, "options"> {
  readonly client: ClientOptions;
  /** Members of the group now (the coordinator's view), to tell whether a partition can come from another. */
  readonly groupSize: () => Promise<number>;
  /** Where a partition starts that nothing positioned: the group's committed offset, else the earliest. */
  readonly startOf: (partition: number) => Promise<bigint>;
  readonly options: ResolvedPlatformaticOptions;
  readonly onGroupChange: ((change: GroupChange) => void | Promise<void>) | undefined;
}

type FetchResponse = Awaited<ReturnType<Consumer["fetch"]>>;

/** Kafka's error code for a fetch offset outside the retained log. */
const offsetOutOfRange = 1;

/**
 * One @platformatic/kafka group member for one topic, with its own fetch loop: the client runs the group
 * membership (join, heartbeats, rejoin on a rebalance) and this member fetches from each partition's
 * leader where its `PartitionProgress` says, handing records to the reader through a bounded channel
 * (the loop waits while it is full; heartbeats go on meanwhile).
 *
 * Assignments, revocations and rewinds go through core's `PartitionHandover`. The client calls
 * `protocolsMetadata` before every JoinGroup, so that is where this member gives its partitions up: the
 * rejoin waits until the consumer has finished and committed them (or the grace ran out).
 */
export class Subscription {
  private readonly handover: PartitionHandover;
  private readonly channel;
  private readonly consumer: Consumer;
  private readonly committed = new Map<number, bigint>();
  private commitTimer: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;
  private fetching: Promise<void> = Promise.resolve();
  /** Set after an error or a leaderless partition: the next round asks the brokers for metadata. */
  private staleMetadata = false;

  private constructor(private readonly o: SubscriptionOptions) {
    this.channel = pushChannel<HandedMessage>({ capacity: o.options.bufferSize });
    this.consumer = new Consumer({
      ...o.client,
      groupId: o.group,
      sessionTimeout: o.options.sessionTimeoutMs,
      heartbeatInterval: o.options.heartbeatIntervalMs,
      // The broker waits this long for every member to rejoin; a member giving partitions up may take
      // the revocation grace (10 s) first.
      rebalanceTimeout: Math.max(o.options.sessionTimeoutMs, 15_000),
      autocommit: false,
      partitionAssigner: subscriptionAwareAssigner,
      protocolsMetadata: () => this.handover.revoke().then(() => Buffer.alloc(0)),
    });
    this.handover = new PartitionHandover({
      driver: "kafka",
      topic: o.topic,
      progress: o.progress,
      resume: o.resume,
      groupSize: o.groupSize,
      heartbeatIntervalMs: o.options.heartbeatIntervalMs,
      onGroupChange: o.onGroupChange,
      // The fetch loop reads each partition's position from its progress; nothing to tell the client.
      seek: () => {},
      fallbackStart: o.startOf,
      drain: () => this.channel.drain(),
      closing: () => this.closing !== undefined,
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

  /** Partitions of the current generation; empty while the group rebalances. */
  get owned(): ReadonlySet<number> {
    return this.handover.owned;
  }

  /** The messages, in fetch order per partition; ends when the subscription closes. */
  get messages(): AsyncIterable<Message> {
    return this.handover.messagesOf(this.channel, () => this.close());
  }

  private async start(): Promise<void> {
    const { consumer, o } = this;
    consumer.on("consumer:group:join", ({ assignments }) => {
      const mine = assignments?.find((assignment) => assignment.topic === o.topic)?.partitions ?? [];
      this.handover.assign(mine);
    });
    consumer.on("consumer:heartbeat:error", ({ error }) => o.onReconnect(error));
    // The client gave up rejoining the group (after its own retries): try again later unless it cannot help.
    consumer.on("error", (error: unknown) => {
      if (this.closing) return;
      if (!mapPlatformaticError(error, "rejoining").retryable) return this.fail(error);
      o.onReconnect(error);
      setTimeout(() => {
        if (!this.closing) consumer.joinGroup({}).catch((again: unknown) => consumer.emit("error", again));
      }, o.options.heartbeatIntervalMs).unref?.();
    });
    try {
      consumer.topics.trackAll(o.topic);
      await consumer.joinGroup({});
    } catch (error) {
      await consumer.close(true).catch(() => {});
      throw mapPlatformaticError(error, `subscribing to "${o.topic}" as group "${o.group}"`);
    }
    this.fetching = this.fetchLoop();
    if (o.mode === "queue") {
      this.commitTimer = setInterval(() => void this.commit().catch(() => {}), o.options.commitIntervalMs);
      this.commitTimer.unref?.();
    }
  }

  /** Delivers `offset` of `partition` again (and what followed it): Kafka's only way to redeliver. */
  rewind(partition: number, offset: bigint): boolean {
    return this.handover.rewind(partition, offset);
  }

  /** Commits settled queue offsets of the partitions this member owns to the Kafka group. */
  async commit(): Promise<void> {
    const offsets = [];
    for (const partition of this.handover.owned) {
      const offset = this.o.progress(partition).committable();
      if (offset === undefined || this.committed.get(partition) === offset) continue;
      offsets.push({ topic: this.o.topic, partition, offset, leaderEpoch: -1 });
    }
    if (offsets.length === 0) return;
    await this.consumer.commit({ offsets });
    for (const { partition, offset } of offsets) this.committed.set(partition, offset);
  }

  /** Leaves the group: stops fetching, commits settled queue offsets, ends the message iteration. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.commitTimer);
      this.channel.end();
      this.handover.generation.abort();
      await this.fetching;
      if (this.o.mode === "queue") await this.commit().catch(() => {});
      this.handover.release();
      // Closing leaves the group: the others rebalance at once instead of after the session timeout.
      await this.consumer.close(true).catch(() => {});
    })();
    return this.closing;
  }

  /** Ends the subscription with `error`: the reader's next pull throws it, so the consumer fails. */
  private fail(error: unknown): void {
    if (this.closing) return;
    const failure = mapPlatformaticError(error, `consuming "${this.o.topic}" as group "${this.o.group}"`);
    this.o.onFailure(failure);
    this.channel.end(failure);
    void this.close();
  }

  /**
   * Fetches while the subscription runs. Retriable errors (a leader moved, a broker restarts) are retried
   * with backoff; our own errors that retrying cannot fix (a corrupt checkpoint) end the subscription.
   */
  private async fetchLoop(): Promise<void> {
    let attempt = 0;
    while (!this.closing) {
      if (this.handover.revoking || this.handover.owned.size === 0) {
        await sleep(50);
        continue;
      }
      try {
        await this.fetchOnce();
        attempt = 0;
      } catch (error) {
        if (this.closing) return;
        if (this.restartOutOfRange(error)) continue;
        const failure = isPrismError(error)
          ? error
          : mapPlatformaticError(error, `fetching "${this.o.topic}"`);
        if (!failure.retryable) {
          this.fail(failure);
          return;
        }
        this.o.onReconnect(error);
        this.staleMetadata = true;
        await sleep(reconnectDelay(++attempt, { initialMs: 100, maxMs: 5000 }));
      }
    }
  }

  /** One fetch from each leader of the owned partitions, handed over in order. */
  private async fetchOnce(): Promise<void> {
    const { handover, o } = this;
    const epochs = new Map<number, number>();
    for (const partition of handover.owned) {
      const positioning = handover.positions.get(partition);
      if (positioning) {
        await positioning;
        if (handover.positions.get(partition) === positioning) handover.positions.delete(partition);
      }
      if (o.progress(partition).next !== undefined) epochs.set(partition, handover.epochOf(partition));
    }
    if (epochs.size === 0 || handover.revoking) return sleep(50);
    const metadata = await this.consumer.metadata({ topics: [o.topic], forceUpdate: this.staleMetadata });
    this.staleMetadata = false;
    const topic = metadata.topics.get(o.topic);
    if (!topic)
      throw new PrismError(PrismErrorCode.BackendUnavailable, `kafka: no metadata for "${o.topic}"`);
    const byLeader = new Map<number, number[]>();
    for (const partition of epochs.keys()) {
      const leader = topic.partitions[partition]?.leader ?? -1;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition]);
    }
    // A partition without a leader (an election under way) waits for the next round, with fresh metadata.
    if (byLeader.has(-1)) {
      this.staleMetadata = true;
      await sleep(100);
    }
    for (const [node, partitions] of byLeader) {
      if (node < 0) continue;
      const response = await this.consumer.fetch({
        node,
        maxWaitTime: o.options.heartbeatIntervalMs,
        minBytes: 1,
        maxBytes: o.options.fetchMaxBytes * partitions.length,
        topics: [
          {
            topicId: topic.id,
            partitions: partitions.map((partition) => ({
              partition,
              fetchOffset: o.progress(partition).next as bigint,
              partitionMaxBytes: o.options.fetchMaxBytes,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            })),
          },
        ],
      });
      await this.handOver(response, epochs);
    }
  }

  private async handOver(response: FetchResponse, epochs: ReadonlyMap<number, number>): Promise<void> {
    const queue = this.o.mode === "queue";
    for (const topicResponse of response.responses) {
      for (const { partitionIndex: partition, records } of topicResponse.partitions) {
        const epoch = epochs.get(partition);
        if (epoch === undefined) continue;
        const progress = this.o.progress(partition);
        for (const batch of records ?? []) {
          const fresh = () => !this.closing && this.handover.epochOf(partition) === epoch;
          if (!fresh()) break;
          if (batch.attributes & IS_CONTROL) {
            skipTo(progress, batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n);
            continue;
          }
          for (const record of batch.records) {
            if (!fresh()) break;
            const offset = batch.firstOffset + BigInt(record.offsetDelta);
            if (progress.next !== undefined && offset < progress.next) continue;
            if (queue && progress.isSettled(offset)) {
              skipTo(progress, offset + 1n);
              continue;
            }
            const attempt = progress.deliver(offset, queue);
            const timestamp = batch.firstTimestamp + record.timestampDelta;
            const message = toMessage(this.o.topic, partition, offset, timestamp, record, attempt);
            const handed = { message, partition, offset, epoch };
            if (
              !this.channel.offer(handed) &&
              !(await this.channel.push(handed, this.handover.generation.signal))
            ) {
              progress.undeliver(offset);
              break;
            }
          }
        }
      }
    }
  }

  /** A fetch position older than the retained log (deleted by retention) restarts at the oldest offset. */
  private restartOutOfRange(error: unknown): boolean {
    if (!(error instanceof Error) || !findErrorBy(error, "apiId", "OFFSET_OUT_OF_RANGE")) return false;
    const response = (error as { response?: FetchResponse }).response;
    let restarted = false;
    for (const topicResponse of response?.responses ?? []) {
      for (const partition of topicResponse.partitions) {
        if (partition.errorCode !== offsetOutOfRange || partition.logStartOffset < 0n) continue;
        this.o.progress(partition.partitionIndex).next = partition.logStartOffset;
        restarted = true;
      }
    }
    return restarted;
  }
}

/** Moves a partition's position past records that are not handed over (control records, settled ones). */
function skipTo(progress: PartitionProgress, next: bigint): void {
  if (progress.next === undefined || next > progress.next) progress.next = next;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
