import { isCompareAndSetStore } from "../capabilities.js";
import { describeError, PrismError, PrismErrorCode } from "../errors.js";
import type { KeyValueBasicInterface } from "../interfaces.js";
import type { Logger } from "../logger.js";
import type { Offset } from "../message.js";
import { compareOffsets, laterOffset } from "../offsets.js";
import { type ConsumerState, decodeState, encodeState } from "../state.js";
import { CheckpointTracker } from "./checkpoint-tracker.js";
import type { EventHub } from "./event-hub.js";

export interface CheckpointStoreDeps {
  readonly key: string;
  readonly stateStore: KeyValueBasicInterface;
  /** Counts commits and tells listeners; its retry counter is what the stored retry count grows by. */
  readonly hub: EventHub;
  readonly logger: Logger;
  readonly recordError: (error: unknown) => void;
  /** After each write, with this member's own offsets as they were written (before merging). */
  readonly written?: (offsets: Readonly<Record<string, Offset>>) => Promise<void>;
}

/** Compare-and-set rounds one commit may lose to other members' writes before it gives up (and retries later). */
const maxConflicts = 20;

/**
 * The consumer's state in the state store: loads it at start, tracks the checkpoint, and writes it —
 * one write at a time, and only when the checkpoint or the retry count moved.
 *
 * Replicas of one config share the state key, so a write merges with what is stored: per partition the
 * later of the stored offset and this member's (a partition's checkpoint never moves backwards, whoever
 * writes it), and the retry count grows by this member's retries since its last write. Every offset a
 * member writes is safe on its own (it and everything before it in the partition finished here, or was
 * finished when this member started from it), so the later of two is too. With a `CompareAndSetStore` the
 * merge is written only if nobody wrote in between (otherwise it is redone); other stores write last-wins.
 */
export class CheckpointStore {
  tracker = new CheckpointTracker({ offsets: {}, offset: null, lastMessageId: null });
  lastCommitAt: number | undefined;
  /** The consumer's retry counter when this member last added its retries to the stored count. */
  private retriesWritten: number;
  /** The tracker version last written; nothing is written until it or the retry count moves. */
  private committedVersion = 0;
  /** The state as last read at start or written since. */
  private lastState: ConsumerState | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = false;

  constructor(private readonly deps: CheckpointStoreDeps) {
    this.retriesWritten = deps.hub.counters.retries;
  }

  /** Whether concurrent commits of replicas are merged safely (the state store can compare-and-set). */
  get atomic(): boolean {
    return isCompareAndSetStore(this.deps.stateStore);
  }

  /** Reads the stored state (if any) and continues from it; resolves with it. */
  async load(): Promise<ConsumerState | undefined> {
    const stored = (await this.read()).state;
    if (stored) {
      this.tracker = new CheckpointTracker({
        offsets: stored.offsets,
        offset: stored.offset,
        lastMessageId: stored.last_message_id,
      });
      this.committedVersion = this.tracker.version;
      this.lastState = stored;
    }
    return stored;
  }

  /** The stored offset of `partition`, read fresh: it may have been assigned long after start. */
  async storedOffset(partition: string): Promise<Offset | undefined> {
    return (await this.read()).state?.offsets[partition];
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
      this.deps.hub.driverError("commit", error);
      this.deps.recordError(error);
      this.deps.logger.warn("checkpoint commit failed; it is retried at the next commit", {
        key: this.deps.key,
        error: describeError(error),
      });
    });
  }

  private async write(): Promise<ConsumerState> {
    const version = this.tracker.version;
    const retryCount = this.deps.hub.counters.retries;
    if (version === this.committedVersion && retryCount === this.retriesWritten) {
      return this.lastState ?? this.merge(undefined, 0);
    }
    const { stateStore, key } = this.deps;
    const own = this.deps.written ? { ...this.tracker.offsets } : undefined;
    for (let conflicts = 0; ; conflicts++) {
      const stored = await this.read();
      const state = this.merge(stored.state, retryCount - this.retriesWritten);
      const bytes = encodeState(state);
      if (!isCompareAndSetStore(stateStore)) {
        await stateStore.set(key, bytes);
      } else if (!(await stateStore.compareAndSet(key, stored.bytes, bytes))) {
        if (conflicts < maxConflicts) continue;
        throw new PrismError(
          PrismErrorCode.BackendUnavailable,
          `checkpoint at "${key}" changed under ${maxConflicts} writes in a row (other replicas committing); retried at the next commit`,
        );
      }
      this.committedVersion = version;
      this.retriesWritten = retryCount;
      this.lastState = state;
      this.lastCommitAt = Date.now();
      this.deps.hub.committed(state);
      if (own) await this.deps.written?.(own);
      return state;
    }
  }

  /** This member's checkpoint merged into the stored one: no partition moves backwards. */
  private merge(stored: ConsumerState | undefined, newRetries: number): ConsumerState {
    const tracker = this.tracker;
    const offsets: Record<string, Offset> = { ...stored?.offsets };
    for (const [partition, offset] of Object.entries(tracker.offsets)) {
      offsets[partition] = laterOffset(offsets[partition], offset);
    }
    // The seed's single-stream fields name the last message finished: ours unless the store is ahead.
    const storedAhead =
      stored?.offset != null &&
      tracker.lastOffset !== null &&
      (compareOffsets(stored.offset, tracker.lastOffset) ?? 0) > 0;
    return {
      offset: storedAhead ? (stored?.offset ?? null) : tracker.lastOffset,
      offsets,
      last_message_id: storedAhead ? (stored?.last_message_id ?? null) : tracker.lastMessageId,
      last_updated: new Date().toISOString(),
      retry_count: (stored?.retry_count ?? 0) + newRetries,
    };
  }

  private async read(): Promise<{ bytes: Uint8Array | undefined; state: ConsumerState | undefined }> {
    const bytes = await this.deps.stateStore.get(this.deps.key);
    return { bytes, state: bytes === undefined ? undefined : decodeState(bytes, this.deps.key) };
  }
}
