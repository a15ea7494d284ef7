import { isPartitionedSource, isResumableSource } from "../capabilities.js";
import type { ExhaustedAction } from "../config.js";
import { describeError, PrismError, PrismErrorCode } from "../errors.js";
import type { FilterPredicate } from "../filter.js";
import type { GroupChangeRecord } from "../health.js";
import type { GroupChange } from "../interfaces.js";
import type { Logger } from "../logger.js";
import type { ConsumerIdentity } from "../middleware.js";
import type { PayloadDecoding } from "../payload.js";
import type { BatchProcessor, MessageProcessor } from "../processor.js";
import type { BoundSlots } from "../slots.js";
import type { ConsumerState } from "../state.js";
import { isTransactionalState } from "../transactional-state.js";
import { settlesWithin } from "./async.js";
import { CheckpointStore } from "./checkpoint-store.js";
import type { EventHub } from "./event-hub.js";
import { LedgerPruner } from "./ledger-pruner.js";
import { Pipeline, type UserMiddleware } from "./pipeline.js";
import type { ResolvedBehavior } from "./resolve-behavior.js";
import { Scheduler } from "./scheduler.js";
import { Settlements } from "./settlement.js";
import { openSource, type SourceSession } from "./source-session.js";

/** What one run of a consumer works with. */
export interface RunDeps {
  readonly identity: ConsumerIdentity;
  readonly stateKey: string;
  readonly behavior: ResolvedBehavior;
  readonly onExhausted: ExhaustedAction;
  readonly slots: BoundSlots;
  readonly processor: MessageProcessor | undefined;
  readonly batchProcessor: BatchProcessor | undefined;
  readonly filter: FilterPredicate | undefined;
  readonly payload: PayloadDecoding | undefined;
  readonly middleware: UserMiddleware;
  readonly logger: Logger;
  /** Counts every outcome and tells the consumer's listeners (owned by the consumer, outlives runs). */
  readonly hub: EventHub;
  readonly random: () => number;
  readonly recordError: (error: unknown) => void;
}

export type RunPhase = "running" | "draining" | "stopped" | "failed";

/** Group changes kept for `health()`. */
const keptGroupChanges = 20;
/** How long a revoking source waits at most for in-flight work before the final commit of its partitions. */
const revokeGraceMs = 10_000;

/**
 * One start-to-stop life of a consumer: loads the checkpoint, opens the source, runs the scheduler over
 * the pipeline, commits on its interval, and shuts down gracefully.
 */
export class ConsumerRun {
  phase: RunPhase = "running";
  failure: Error | undefined;
  /** The source's recent group changes, newest last. */
  readonly groupChanges: GroupChangeRecord[] = [];
  private readonly checkpoints: CheckpointStore;
  /** Transactional mode: forgets the records of processed positions once they cannot come again. */
  private readonly pruner: LedgerPruner | undefined;
  private readonly settlements: Settlements;
  private readonly pipeline: Pipeline;
  private readonly scheduler: Scheduler;
  private readonly pullAbort = new AbortController();
  private readonly workAbort = new AbortController();
  /** Aborted as `shutdown` begins: ends parks and retry-topic waits at once. */
  private readonly stopAbort = new AbortController();
  private commitTimer: ReturnType<typeof setInterval> | undefined;
  private session: SourceSession | undefined;
  private loop: Promise<void> = Promise.resolve();
  private shutdownPromise: Promise<void> | undefined;
  private markClosed: (failure: Error | undefined) => void = () => {};
  /** Resolves once the run has stopped: with the error that failed it, or `undefined`. */
  readonly closed = new Promise<Error | undefined>((resolve) => {
    this.markClosed = resolve;
  });

  constructor(private readonly deps: RunDeps) {
    const { behavior, slots, hub } = deps;
    const transactions =
      behavior.transactional && isTransactionalState(slots.stateStore) ? slots.stateStore : undefined;
    const pruner = transactions && new LedgerPruner(transactions, deps.stateKey, deps.logger);
    this.pruner = pruner;
    this.checkpoints = new CheckpointStore({
      key: deps.stateKey,
      stateStore: slots.stateStore,
      hub,
      logger: deps.logger,
      recordError: deps.recordError,
      ...(pruner && { written: (offsets) => pruner.written(offsets) }),
    });
    this.settlements = new Settlements(
      this.checkpoints,
      hub,
      deps.recordError,
      behavior.autoCommit && behavior.commitIntervalMs === 0,
      pruner,
    );
    this.pipeline = new Pipeline({
      behavior,
      consumer: deps.identity,
      onExhausted: deps.onExhausted,
      deadLetterQueue: slots.deadLetterQueue,
      stateStore: slots.stateStore,
      stateKey: deps.stateKey,
      transactions,
      processor: deps.processor,
      batchProcessor: deps.batchProcessor,
      filter: deps.filter,
      payload: deps.payload,
      middleware: deps.middleware,
      hub,
      settlements: this.settlements,
      logger: deps.logger,
      random: deps.random,
      recordError: deps.recordError,
      workSignal: this.workAbort.signal,
      stopSignal: this.stopAbort.signal,
      source: slots.messageSource,
      fail: (error) => this.fail(error),
    });
    this.scheduler = new Scheduler({
      behavior,
      hub,
      pipeline: this.pipeline,
      checkpoints: this.checkpoints,
      fail: (error) => this.fail(error),
    });
  }

  get member(): string {
    return this.deps.identity.member;
  }

  get inFlight(): number {
    return this.scheduler.inFlight;
  }

  /** Attempts still running after their processing timeout was signalled. */
  get stalled(): number {
    return this.pipeline.deadlines?.stalled ?? 0;
  }

  get lastCommitAt(): number | undefined {
    return this.checkpoints.lastCommitAt;
  }

  /** Partitions the source says this process owns, for partitioned sources. */
  get ownedPartitions(): string[] | undefined {
    const source = this.deps.slots.messageSource.driver;
    if (!isPartitionedSource(source)) return undefined;
    const { topic, consumerGroup } = this.deps.behavior;
    return [...source.ownedPartitions(topic, consumerGroup)].sort();
  }

  get checkpoint() {
    const tracker = this.checkpoints.tracker;
    return { offsets: { ...tracker.offsets }, lastMessageId: tracker.lastMessageId };
  }

  /** Records that `open()` failed: nothing was consumed, nothing will be committed. */
  failedToOpen(error: unknown): void {
    this.failure = error instanceof Error ? error : new Error(describeError(error));
    this.phase = "failed";
    this.pipeline.stop();
    this.markClosed(this.failure);
  }

  /** Loads the checkpoint, positions the source after it when it can, and starts pulling. */
  async open(): Promise<void> {
    const { behavior, slots, logger, stateKey, identity } = this.deps;
    const stored = await this.checkpoints.load();
    const source = slots.messageSource;
    if (isResumableSource(source.driver)) {
      // Re-read on every lookup: a partition may be assigned long after start, when the store has moved on.
      await source.driver.resumeAfter(behavior.topic, behavior.consumerGroup, (partition) =>
        this.checkpoints.storedOffset(partition),
      );
    } else if (stored && Object.keys(stored.offsets).length > 0) {
      logger.info("message source cannot start from a position; it continues where the backend left off", {
        key: stateKey,
      });
    }
    if (!this.checkpoints.atomic) {
      logger.info(
        "the state store cannot compare-and-set: replicas of this consumer committing at the same moment may overwrite each other's checkpoint",
        { key: stateKey },
      );
    }
    const session = await openSource(source, {
      topic: behavior.topic,
      group: behavior.consumerGroup,
      member: identity.member,
      signal: this.pullAbort.signal,
      onGroupChange: (change) => this.groupChanged(change),
      logger,
    });
    this.session = session;
    this.settlements.source = session.settlement;
    logger.info("joined the group", { key: stateKey, member: identity.member });
    this.loop = this.pull(session);
    if (behavior.autoCommit && behavior.commitIntervalMs > 0) {
      this.commitTimer = setInterval(() => this.checkpoints.commitInBackground(), behavior.commitIntervalMs);
      this.commitTimer.unref?.();
    }
  }

  /** Writes the checkpoint if it moved since the last commit; resolves with the state as stored. */
  commit(): Promise<ConsumerState> {
    return this.checkpoints.commit();
  }

  /**
   * Stops pulling, lets in-flight work finish for up to `timeoutMs`, then aborts it; commits what
   * finished (with auto-commit); ends the subscription. Safe to call more than once.
   */
  shutdown(timeoutMs: number): Promise<void> {
    this.shutdownPromise ??= this.drainAndClose(timeoutMs);
    return this.shutdownPromise;
  }

  private async pull(session: SourceSession): Promise<void> {
    const iterator = session.messages[Symbol.asyncIterator]();
    try {
      await this.scheduler.pull(iterator);
      if (!this.scheduler.stopped) {
        throw new PrismError(
          PrismErrorCode.SourceClosed,
          "the message source ended while the consumer was running",
        );
      }
    } catch (error) {
      if (!this.scheduler.stopped) this.fail(error);
    } finally {
      await Promise.resolve(iterator.return?.()).catch(() => {});
    }
  }

  private async drainAndClose(timeoutMs: number): Promise<void> {
    const { behavior, logger, stateKey, identity } = this.deps;
    this.phase = "draining";
    this.scheduler.stop();
    this.stopAbort.abort();
    clearInterval(this.commitTimer);
    const deadline = Date.now() + timeoutMs;
    let commitError: unknown;
    const finalCommit = async () => {
      if (!behavior.autoCommit) return;
      commitError = undefined;
      await this.commit().catch((error) => {
        commitError = error;
        this.deps.recordError(error);
      });
    };
    // The source stays open while in-flight work finishes and is committed: a queue keeps that work
    // leased only while its receive runs, and a partitioned source owns its partitions (so may commit
    // them) only until it leaves the group.
    const settled = async () => {
      await this.scheduler.idle();
      await this.scheduler.drained();
      await this.settlements.acknowledged();
    };
    await settlesWithin(settled(), timeoutMs);
    await finalCommit();
    this.pullAbort.abort();
    // The loop may hand over one last message it had already pulled, so wait for it before the work.
    const drained = async () => {
      await this.loop;
      await settled();
    };
    if (!(await settlesWithin(drained(), Math.max(0, deadline - Date.now())))) {
      logger.warn("shutdown timeout reached: aborting in-flight work", { inFlight: this.scheduler.inFlight });
      this.workAbort.abort();
      // Processors that ignore the signal get one more (short) chance before they are left behind.
      await settlesWithin(drained(), Math.min(timeoutMs, 1000));
    }
    await finalCommit();
    // The last checkpoint is written and the partitions are not given up yet: nothing it covers comes again.
    if (behavior.autoCommit && commitError === undefined) {
      await this.pruner?.written(this.checkpoints.tracker.offsets, true);
    }
    await this.session?.leave();
    this.pipeline.stop();
    logger.info("left the group", { key: stateKey, member: identity.member });
    this.phase = this.failure ? "failed" : "stopped";
    this.markClosed(this.failure);
    if (commitError !== undefined && !this.failure) throw commitError;
  }

  /**
   * A change the source reported: logged and kept for `health()`. Before partitions go to other members,
   * the work taken from them finishes (for a while) and is committed, so their next owner starts here.
   */
  private async groupChanged(change: GroupChange): Promise<void> {
    this.groupChanges.push({ at: Date.now(), change });
    if (this.groupChanges.length > keptGroupChanges) this.groupChanges.shift();
    this.deps.hub.groupChanged(change);
    this.deps.logger.info(`group change: ${describeGroupChange(change)}`, {
      key: this.deps.stateKey,
      member: this.deps.identity.member,
    });
    if (change.kind !== "revoking" || this.phase !== "running") return;
    const finished = async () => {
      await this.scheduler.idle();
      await this.settlements.acknowledged();
    };
    await settlesWithin(finished(), revokeGraceMs);
    await this.commit().catch((error) => this.deps.recordError(error));
  }

  /** Stops the consumer because of `error`; in-flight work still finishes, nothing is checkpointed past it. */
  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = error instanceof Error ? error : new Error(describeError(error));
    this.deps.recordError(error);
    this.deps.logger.error("consumer failed", { error: describeError(error) });
    void this.shutdown(this.deps.behavior.shutdownTimeoutMs).catch(() => {});
  }
}

function describeGroupChange(change: GroupChange): string {
  if (change.kind === "claimed") {
    return `took over ${change.messages} unsettled message(s) of departed member ${change.from}`;
  }
  const partitions = change.partitions.length > 0 ? change.partitions.join(", ") : "none";
  return change.kind === "assigned" ? `owns partitions ${partitions}` : `giving up partitions ${partitions}`;
}
