import { isPartitionedSource } from "../capabilities.js";
import { describeError } from "../errors.js";
import type { ConsumerCounters } from "../health.js";
import type { KeyValueBasicInterface } from "../interfaces.js";
import type { Logger } from "../logger.js";
import type { Offset } from "../message.js";
import { type ConsumerState, decodeState, encodeState } from "../state.js";
import { CheckpointTracker } from "./checkpoint-tracker.js";

export interface CheckpointStoreDeps {
  readonly key: string;
  readonly stateStore: KeyValueBasicInterface;
  /** The source driver, for `PartitionedSource`: only owned partitions are written. */
  readonly source: unknown;
  readonly topic: string;
  readonly group: string;
  readonly counters: ConsumerCounters;
  readonly logger: Logger;
  readonly recordError: (error: unknown) => void;
}

/**
 * The consumer's state in the state store: loads it at start, tracks the checkpoint, and writes it —
 * one write at a time, and only when the checkpoint or the retry count moved.
 */
export class CheckpointStore {
  tracker = new CheckpointTracker({ offsets: {}, offset: null, lastMessageId: null });
  lastCommitAt: number | undefined;
  private retryCount = 0;
  /** What the store holds; nothing is written until the checkpoint or the retry count moves. */
  private committed = { version: 0, retryCount: 0 };
  /** The state as last read at start or written since. */
  private lastState: ConsumerState | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = false;

  constructor(private readonly deps: CheckpointStoreDeps) {}

  /** Reads the stored state (if any) and continues from it; resolves with it. */
  async load(): Promise<ConsumerState | undefined> {
    const stored = await this.read();
    if (stored) {
      this.tracker = new CheckpointTracker({
        offsets: stored.offsets,
        offset: stored.offset,
        lastMessageId: stored.last_message_id,
      });
      this.retryCount = stored.retry_count;
      this.committed = { version: this.tracker.version, retryCount: this.retryCount };
      this.lastState = stored;
    }
    return stored;
  }

  /** The stored offset of `partition`, read fresh: it may have been assigned long after start. */
  async storedOffset(partition: string): Promise<Offset | undefined> {
    return (await this.read())?.offsets[partition];
  }

  countRetry(): void {
    this.retryCount++;
  }

  /** Writes the checkpoint if it moved; resolves with the state as stored. */
  commit(): Promise<ConsumerState> {
    const next = this.chain.then(() => this.write());
    this.chain = next.catch(() => {});
    return next;
  }

  /** Queues a commit unless one is queued already; failures are recorded, and retried next time. */
  commitInBackground(): void {
    if (this.queued) return;
    this.queued = true;
    const next = this.chain.then(() => {
      this.queued = false;
      return this.write();
    });
    this.chain = next.catch((error) => {
      this.deps.recordError(error);
      this.deps.logger.warn("checkpoint commit failed; it is retried at the next commit", {
        key: this.deps.key,
        error: describeError(error),
      });
    });
  }

  private async write(): Promise<ConsumerState> {
    const version = this.tracker.version;
    const retryCount = this.retryCount;
    if (version === this.committed.version && retryCount === this.committed.retryCount) {
      return this.lastState ?? this.snapshot(this.tracker.offsets);
    }
    const state = this.snapshot(await this.offsetsToStore());
    await this.deps.stateStore.set(this.deps.key, encodeState(state));
    this.committed = { version, retryCount };
    this.lastState = state;
    this.lastCommitAt = Date.now();
    this.deps.counters.commits++;
    return state;
  }

  private snapshot(offsets: Record<string, Offset>): ConsumerState {
    return {
      offset: this.tracker.lastOffset,
      offsets: { ...offsets },
      last_message_id: this.tracker.lastMessageId,
      last_updated: new Date().toISOString(),
      retry_count: this.retryCount,
    };
  }

  /**
   * The offsets to write. A partitioned source's members share the state key, so only the partitions
   * this process owns are taken from the tracker; the rest are kept as stored (other members' work).
   */
  private async offsetsToStore(): Promise<Record<string, Offset>> {
    const { source, topic, group } = this.deps;
    if (!isPartitionedSource(source)) return { ...this.tracker.offsets };
    const offsets = { ...(await this.read())?.offsets };
    for (const partition of source.ownedPartitions(topic, group)) {
      const offset = this.tracker.offsets[partition];
      if (offset !== undefined) offsets[partition] = offset;
    }
    return offsets;
  }

  private async read(): Promise<ConsumerState | undefined> {
    const bytes = await this.deps.stateStore.get(this.deps.key);
    return bytes === undefined ? undefined : decodeState(bytes, this.deps.key);
  }
}
