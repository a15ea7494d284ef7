import type { Message } from "../message.js";
import type { CheckpointStore } from "./checkpoint-store.js";
import type { TrackedMessage } from "./checkpoint-tracker.js";
import type { EventHub } from "./event-hub.js";
import type { Settlement } from "./source-session.js";

/** Acknowledgements in flight before the consumer waits for one to be answered. */
const maxPendingAcks = 1024;

/**
 * The one owner of settlement: a finished delivery is acknowledged at the source (when the source keeps
 * messages pending) and then marked finished in the checkpoint; an unfinished one is given back.
 * Acknowledgements are pipelined — the next message is taken while they travel, the checkpoint moves once
 * they are confirmed — and at most `maxPendingAcks` travel at once.
 */
export class Settlements {
  /** How the source's messages are settled, once it is open; undefined when they need no settlement. */
  source: Settlement | undefined;
  private readonly pendingAcks = new Set<Promise<void>>();

  constructor(
    private readonly checkpoints: CheckpointStore,
    private readonly hub: EventHub,
    private readonly recordError: (error: unknown) => void,
    /** Commit after every finished message (`commitInterval: 0` with auto-commit). */
    private readonly commitEach: boolean,
  ) {}

  /**
   * Messages finished (processed, filtered, deduplicated, dead-lettered or dropped): acknowledged, then
   * checkpointed. `entries` are their checkpoint records; without them (one message, nothing pending
   * before it) the checkpoint moves straight to it. Resolves at once unless too many acks travel.
   */
  done(messages: readonly Message[], entries: TrackedMessage[] | undefined): void | Promise<void> {
    const source = this.source;
    if (!source) {
      this.finish(messages, entries);
      return;
    }
    const acknowledge = (message: Message) =>
      source.acknowledge(message).catch((error) => {
        // Processing succeeded; the backend may deliver the message again (at-least-once).
        this.hub.driverError("acknowledge", error);
        this.recordError(error);
      });
    const acks =
      messages.length === 1 ? acknowledge(messages[0] as Message) : Promise.all(messages.map(acknowledge));
    const settled: Promise<void> = acks.then(() => {
      this.pendingAcks.delete(settled);
      this.finish(messages, entries);
    });
    this.pendingAcks.add(settled);
    if (this.pendingAcks.size >= maxPendingAcks) return Promise.race(this.pendingAcks);
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

  /** Resolves once every acknowledgement sent so far has been answered. */
  async acknowledged(): Promise<void> {
    while (this.pendingAcks.size > 0) await Promise.all([...this.pendingAcks]);
  }

  private finish(messages: readonly Message[], entries: TrackedMessage[] | undefined): void {
    const tracker = this.checkpoints.tracker;
    if (entries) for (const entry of entries) tracker.finish(entry);
    else tracker.complete(messages[0] as Message);
    if (this.commitEach) this.checkpoints.commitInBackground();
  }
}
