import { type BufferedIterator, isBufferedIterator } from "../capabilities.js";
import type { Message } from "../message.js";
import { isPromiseLike } from "./async.js";
import type { CheckpointStore } from "./checkpoint-store.js";
import type { EventHub } from "./event-hub.js";
import type { Pipeline } from "./pipeline.js";
import type { ResolvedBehavior } from "./resolve-behavior.js";

/** Messages taken from a source's buffer at once (processed even if a stop begins meanwhile). */
const bufferedRun = 64;

export interface SchedulerOptions {
  readonly behavior: ResolvedBehavior;
  readonly hub: EventHub;
  readonly pipeline: Pipeline;
  readonly checkpoints: CheckpointStore;
  /** An error no stage handled (a bug): stop the consumer with it. */
  readonly fail: (error: unknown) => void;
}

/**
 * Pulls from the source no faster than the pipeline frees capacity: `concurrency` deliveries at a time,
 * with `ordering: "partition"` one per partition (lanes), in batches when `batchSize > 0`. Each message's
 * checkpoint record starts here, in source order; with concurrency 1 a message runs inline (no
 * bookkeeping beyond the checkpoint when the source needs no acknowledgement).
 */
export class Scheduler {
  /** Messages being processed (or settled) now. */
  inFlight = 0;
  private stopping = false;
  private readonly work = new Set<Promise<void>>();
  /** With `ordering: "partition"`: the last work queued per lane; the next one runs after it. */
  private readonly lanes = new Map<string, Promise<void>>();
  private wakeLoop: (() => void) | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly o: SchedulerOptions) {}

  /** Stops taking messages (what was taken still runs). */
  stop(): void {
    this.stopping = true;
    this.wake();
  }

  get stopped(): boolean {
    return this.stopping;
  }

  /** Resolves once no message is in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves once every delivery dispatched so far has finished. */
  async drained(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  /** Pulls until stopped or the source ends (returns normally either way). */
  async pull(iterator: AsyncIterator<Message>): Promise<void> {
    if (this.o.behavior.batchSize > 0) await this.pullBatches(iterator);
    else await this.pullMessages(iterator);
  }

  private async pullMessages(iterator: AsyncIterator<Message>): Promise<void> {
    const { behavior, hub } = this.o;
    const concurrency = behavior.concurrency;
    const buffered = isBufferedIterator(iterator) ? iterator : undefined;
    while (!this.stopping) {
      if (this.inFlight >= concurrency) {
        await this.capacityFreed();
        continue;
      }
      const next = await iterator.next();
      if (next.done) return;
      hub.received(1);
      if (concurrency > 1) {
        void this.dispatch([next.value]);
        continue;
      }
      // One at a time, inline: messages finish in source order, so the checkpoint needs no record of them.
      this.inFlight = 1;
      const result = this.runOne(next.value);
      if (isPromiseLike(result)) await result;
      if (buffered) await this.runBuffered(buffered);
    }
  }

  /** Runs one message counted in `inFlight` (from the moment it was taken). */
  private runOne(message: Message): void | Promise<void> {
    const result = this.o.pipeline.deliverOne(message);
    if (isPromiseLike(result)) return result.then(() => this.ranOne());
    this.ranOne();
  }

  private ranOne(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.idleWaiters.length > 0) this.notifyIdle();
  }

  /**
   * Runs what the source already holds, one by one, without a promise per message while they are
   * synchronous. Once a stop begins (or a failure stops the consumer) the rest is given back unprocessed:
   * nothing after an unfinished message may finish on this path, which keeps no checkpoint records.
   */
  private async runBuffered(buffered: BufferedIterator): Promise<void> {
    while (!this.stopping) {
      const messages = buffered.takeBuffered(bufferedRun);
      if (messages.length === 0) return;
      this.o.hub.received(messages.length);
      // Taken is in flight: a source giving partitions up waits for these too (idle()).
      this.inFlight += messages.length;
      for (const [index, message] of messages.entries()) {
        if (this.stopping) {
          const rest = messages.slice(index);
          await this.o.pipeline.release(rest);
          this.inFlight -= rest.length;
          if (this.inFlight === 0) this.notifyIdle();
          return;
        }
        const result = this.runOne(message);
        if (isPromiseLike(result)) await result;
      }
    }
  }

  /**
   * Collects batches with one await per message the source does not already hold (`takeBuffered` fills a
   * batch from its buffer at once, with no timer when that fills it). A batch goes out when it is full, or from its timer
   * `batchMaxWait` after its first message while the loop waits on the source. A batch starts only when
   * there is room to run it (`concurrency` batches at a time), so with concurrency 1 batches never
   * overlap; its first message waits for that room.
   */
  private async pullBatches(iterator: AsyncIterator<Message>): Promise<void> {
    const { batchSize, batchMaxWaitMs, concurrency } = this.o.behavior;
    let batch: Message[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): Promise<void> => {
      clearTimeout(timer);
      timer = undefined;
      const messages = batch;
      batch = [];
      this.o.hub.received(messages.length);
      return this.dispatch(messages);
    };
    const buffered = isBufferedIterator(iterator) ? iterator : undefined;
    try {
      while (!this.stopping) {
        const next = await iterator.next();
        if (next.done) return;
        if (batch.length === 0) {
          while (this.work.size >= concurrency && !this.stopping) await this.capacityFreed();
        }
        batch.push(next.value);
        // Whatever the source already holds fills the batch without an await per message.
        if (buffered && batch.length < batchSize) {
          for (const message of buffered.takeBuffered(batchSize - batch.length)) batch.push(message);
        }
        if (batch.length >= batchSize) {
          const work = flush();
          if (concurrency === 1) await work;
        } else if (timer === undefined) {
          timer = setTimeout(() => void flush(), batchMaxWaitMs);
        }
      }
    } finally {
      // Taken before the source ended or the stop began: processed while the consumer drains, after
      // the batch before it when there is no room (stop waits for the loop, so for this too).
      if (batch.length > 0) {
        while (this.work.size >= concurrency) await this.capacityFreed();
        void flush();
      }
    }
  }

  private dispatch(messages: Message[]): Promise<void> {
    this.inFlight += messages.length;
    // With concurrency 1 work never overlaps, so it finishes in source order and needs no checkpoint
    // records (one per message) to keep the checkpoint behind anything unfinished.
    const tracker = this.o.checkpoints.tracker;
    const entries =
      this.o.behavior.concurrency > 1 ? messages.map((message) => tracker.begin(message)) : undefined;
    const lane = this.laneOf(messages);
    const previous = lane === undefined ? undefined : this.lanes.get(lane);
    const handle = () => this.o.pipeline.deliver(messages, entries);
    const work: Promise<void> = (previous ? previous.then(handle) : Promise.resolve(handle()))
      .catch((error) => this.o.fail(error))
      .finally(() => {
        this.inFlight -= messages.length;
        this.work.delete(work);
        if (lane !== undefined && this.lanes.get(lane) === work) this.lanes.delete(lane);
        this.wake();
        this.notifyIdle();
      });
    this.work.add(work);
    if (lane !== undefined) this.lanes.set(lane, work);
    return work;
  }

  /** The lane work must wait in: its partition with `ordering: "partition"` (batches share one lane). */
  private laneOf(messages: Message[]): string | undefined {
    if (this.o.behavior.ordering !== "partition") return undefined;
    if (messages.length > 1) return "*batches";
    return messages[0]?.position?.partition ?? "";
  }

  private capacityFreed(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeLoop = resolve;
    });
  }

  private wake(): void {
    const wake = this.wakeLoop;
    this.wakeLoop = undefined;
    wake?.();
  }

  private notifyIdle(): void {
    if (this.inFlight > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
