import type { Message } from "../message.js";
import type { CheckpointStore } from "./checkpoint-store.js";
import type { TrackedMessage } from "./checkpoint-tracker.js";
import type { EventHub } from "./event-hub.js";
import type { LedgerPruner } from "./ledger-pruner.js";
import type { PipelineDelivery } from "./pipeline-delivery.js";
import type { Settlement } from "./source-session.js";

/** Messages acknowledged in one call at most; a full batch goes out at once. */
const maxBatch = 1024;
/** Acknowledged batches awaiting their answer before the consumer waits for the oldest one. */
const maxPendingBatches = 16;

/** Messages acknowledged together, and their checkpoint records (none when they finished in order). */
interface AckBatch {
  readonly messages: Message[];
  readonly entries: TrackedMessage[] | undefined;
  answered: boolean;
}

/**
 * The one owner of settlement: a finished delivery is acknowledged at the source (when the source keeps
 * messages pending) and then marked finished in the checkpoint; an unfinished one is given back.
 *
 * Acknowledgements are amortised: what finishes in one event-loop turn is acknowledged in one call (a
 * batch acknowledgement where the driver has one), the next messages are taken meanwhile, and the
 * checkpoint moves when an answer comes — in the order the batches went out, so it never passes a
 * message whose acknowledgement is still travelling. Messages that finished in source order (one at a
 * time) need no checkpoint record: the checkpoint moves to the last of the batch.
 */
export class Settlements {
  /** How the source's messages are settled, once it is open; undefined when they need no settlement. */
  source: Settlement | undefined;
  private current: AckBatch | undefined;
  private flushScheduled = false;
  private readonly pending: AckBatch[] = [];
  private pendingWaiters: Array<() => void> = [];

  constructor(
    private readonly checkpoints: CheckpointStore,
    private readonly hub: EventHub,
    private readonly recordError: (error: unknown) => void,
    /** Commit after every finished message (`commitInterval: 0` with auto-commit). */
    private readonly commitEach: boolean,
    /** Transactional mode: told of every finished message, to forget its record in time. */
    private readonly pruner?: LedgerPruner,
  ) {}

  /**
   * Messages finished (processed, filtered, deduplicated, dead-lettered or dropped): acknowledged, then
   * checkpointed. `entries` are their checkpoint records; without them they finished in source order,
   * nothing before them unfinished. Resolves at once unless too many acknowledgements are unanswered.
   */
  done(delivery: PipelineDelivery, entries: TrackedMessage[] | undefined): void | Promise<void> {
    if (!this.source) {
      if (entries) this.finish(delivery.messages, entries);
      else if (delivery.size === 1) this.finishOne(delivery.first);
      else this.finish(delivery.messages, undefined);
      return;
    }
    // Records and in-order messages do not mix in one batch (concurrency decides which a run has).
    let batch = this.current;
    if (batch && (batch.entries === undefined) !== (entries === undefined)) {
      this.flush();
      batch = undefined;
    }
    if (!batch) {
      batch = { messages: [], entries: entries ? [] : undefined, answered: false };
      this.current = batch;
    }
    if (delivery.size === 1) batch.messages.push(delivery.first);
    else for (const message of delivery.messages) batch.messages.push(message);
    if (entries) for (const entry of entries) batch.entries?.push(entry);
    if (batch.messages.length >= maxBatch) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
    if (this.pending.length >= maxPendingBatches) {
      return new Promise((resolve) => this.pendingWaiters.push(resolve));
    }
  }

  /** Gives unfinished messages back, so they are delivered again without waiting for a timeout. */
  async release(messages: readonly Message[]): Promise<void> {
    const source = this.source;
    if (!source) return;
    for (const message of messages) {
      await source.reject(message, true).catch((error) => {
        this.hub.driverError("reject", error);
        this.recordError(error);
      });
    }
  }

  /** Resolves once every acknowledgement so far has been sent and answered. */
  async acknowledged(): Promise<void> {
    this.flush();
    while (this.pending.length > 0) {
      await new Promise<void>((resolve) => this.pendingWaiters.push(resolve));
    }
  }

  /** Sends the batch being collected. */
  private flush(): void {
    const batch = this.current;
    const source = this.source;
    if (!batch || !source) return;
    this.current = undefined;
    this.pending.push(batch);
    const answered = () => {
      batch.answered = true;
      this.settleAnswered();
    };
    source.acknowledgeAll(batch.messages).then(answered, (error: unknown) => {
      // Processing succeeded; the backend may deliver these again (at-least-once).
      this.hub.driverError("acknowledge", error);
      this.recordError(error);
      answered();
    });
  }

  /** Checkpoints answered batches, oldest first, up to the first one still waiting. */
  private settleAnswered(): void {
    while (this.pending[0]?.answered) {
      const batch = this.pending.shift() as AckBatch;
      this.finish(batch.messages, batch.entries);
    }
    if (this.pending.length < maxPendingBatches && this.pendingWaiters.length > 0) {
      const waiters = this.pendingWaiters;
      this.pendingWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private finishOne(message: Message): void {
    this.pruner?.done([message]);
    this.checkpoints.tracker.complete(message);
    if (this.commitEach) this.checkpoints.commitInBackground();
  }

  private finish(messages: readonly Message[], entries: TrackedMessage[] | undefined): void {
    this.pruner?.done(messages);
    const tracker = this.checkpoints.tracker;
    if (entries) for (const entry of entries) tracker.finish(entry);
    else tracker.completeInOrder(messages);
    if (this.commitEach) this.checkpoints.commitInBackground();
  }
}
