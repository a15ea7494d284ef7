import type { Message, Metadata } from "@prism/consumer-core/driver";
import { EventLoopTurns } from "./event-loop-turns.js";
import { Waiters } from "./waiters.js";

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** A message and how often it has been delivered. */
interface Item {
  readonly message: Message;
  deliveries: number;
}

/**
 * One queue: messages wait in FIFO order; a delivered message stays pending until acknowledged or
 * rejected, or until its visibility timeout passes (its receiver presumably died), when it is queued
 * again at the front. Receivers compete for messages (one group per queue).
 */
export class WorkQueue {
  private ready: Item[] = [];
  private readyHead = 0;
  /** Delivered, unsettled messages by id, in delivery order (so the first to expire comes first). */
  private readonly pending = new Map<string, { item: Item; visibleAt: number }>();
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly receivers = new Waiters<void>();
  private readonly producers = new Waiters<void>();
  private nextSeq = 1;

  constructor(
    readonly name: string,
    private readonly capacity: number,
    private readonly visibilityTimeoutMs: number,
    private readonly now: () => number,
  ) {}

  /** Messages waiting for a receiver plus messages delivered and not yet settled. */
  get size(): number {
    return this.ready.length - this.readyHead + this.pending.size;
  }

  /** Messages waiting for a receiver (not those delivered and unsettled). */
  get waiting(): number {
    return this.ready.length - this.readyHead;
  }

  /** Waiting and pending messages in id order after `after`, at most `limit`, left in place. */
  browse(after: number, limit: number): Message[] {
    const items = [...this.ready.slice(this.readyHead), ...[...this.pending.values()].map((e) => e.item)];
    return items
      .map((item) => ({ ...item.message, deliveryAttempt: item.deliveries }))
      .filter((message) => Number(message.id) > after)
      .sort((a, b) => Number(a.id) - Number(b.id))
      .slice(0, limit);
  }

  /** Removes the messages with these ids, waiting or pending; returns how many there were. */
  remove(ids: ReadonlySet<string>): number {
    const before = this.size;
    const kept = this.ready.slice(this.readyHead).filter((item) => !ids.has(item.message.id));
    this.ready = kept;
    this.readyHead = 0;
    for (const id of ids) this.pending.delete(id);
    const removed = before - this.size;
    if (removed > 0) this.producers.wakeAll();
    return removed;
  }

  async enqueue(payload: Uint8Array, metadata: Metadata): Promise<string> {
    while (this.size >= this.capacity) await this.producers.wait();
    const seq = this.nextSeq++;
    const message: Message = {
      id: String(seq),
      topic: this.name,
      payload: payload.slice(),
      metadata: { ...metadata },
      timestamp: this.now(),
      position: { partition: "0", offset: seq },
      deliveryAttempt: 0,
    };
    this.ready.push({ message, deliveries: 0 });
    this.receivers.wakeOne();
    return message.id;
  }

  receive(signal: AbortSignal | undefined): QueueIterator {
    return new QueueIterator(this, signal);
  }

  /** The next ready message, now pending until settled or until its visibility timeout. */
  take(): Message | undefined {
    if (this.readyHead >= this.ready.length) return undefined;
    const item = this.ready[this.readyHead++] as Item;
    if (this.readyHead === this.ready.length) {
      this.ready = [];
      this.readyHead = 0;
    }
    item.deliveries++;
    const message = { ...item.message, deliveryAttempt: item.deliveries };
    this.pending.set(message.id, { item, visibleAt: this.now() + this.visibilityTimeoutMs });
    this.expiryTimer ??= this.scheduleExpiry(this.visibilityTimeoutMs);
    return message;
  }

  waitForMessage(resolve: () => void): () => void {
    return this.receivers.add(resolve);
  }

  /** Settles a pending message: gone for good, or back at the front of the queue. */
  settle(message: Message, requeue: boolean): void {
    const entry = this.pending.get(message.id);
    if (!entry) {
      throw new Error(
        `memstore queue "${this.name}": message ${message.id} is not pending ` +
          "(already settled, or its visibility timeout passed and it was queued again)",
      );
    }
    this.pending.delete(message.id);
    if (requeue) this.requeue(entry.item);
    else this.producers.wakeAll();
  }

  private scheduleExpiry(ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.expire(), ms);
    timer.unref?.();
    return timer;
  }

  /** Queues again every pending message whose receiver did not settle it in time. */
  private expire(): void {
    this.expiryTimer = undefined;
    const now = this.now();
    const expired: Item[] = [];
    for (const [id, entry] of this.pending) {
      if (entry.visibleAt > now) {
        this.expiryTimer = this.scheduleExpiry(entry.visibleAt - now);
        break;
      }
      this.pending.delete(id);
      expired.push(entry.item);
    }
    // Back to the front in their original order, all of them before any receiver is woken.
    for (let i = expired.length - 1; i >= 0; i--) this.putBack(expired[i] as Item);
    for (let i = 0; i < expired.length; i++) this.receivers.wakeOne();
  }

  private requeue(item: Item): void {
    this.putBack(item);
    this.receivers.wakeOne();
  }

  private putBack(item: Item): void {
    if (this.readyHead > 0) this.ready[--this.readyHead] = item;
    else this.ready.unshift(item);
  }
}

/** One receiver: takes ready messages, waits when there are none; hands over ready ones without a promise. */
export class QueueIterator implements AsyncIterableIterator<Message> {
  private closed = false;
  private readonly turns = new EventLoopTurns();
  private pendingNext: ((result: IteratorResult<Message>) => void) | undefined;
  private stopWaiting: (() => void) | undefined;
  private readonly onAbort = () => this.close();

  constructor(
    private readonly queue: WorkQueue,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal?.aborted) this.close();
    else signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  next(): Promise<IteratorResult<Message>> {
    if (this.closed) return Promise.resolve(done);
    const message = this.queue.take();
    if (message !== undefined) return this.turns.resolve({ done: false, value: message });
    this.turns.waiting();
    return new Promise((resolve) => {
      this.pendingNext = resolve;
      this.stopWaiting = this.queue.waitForMessage(() => {
        this.stopWaiting = undefined;
        this.pendingNext = undefined;
        resolve(this.next());
      });
    });
  }

  takeBuffered(max: number): Message[] {
    const taken: Message[] = [];
    if (this.closed) return taken;
    const limit = Math.min(max, this.turns.room());
    while (taken.length < limit) {
      const message = this.queue.take();
      if (message === undefined) break;
      taken.push(message);
    }
    this.turns.took(taken.length);
    return taken;
  }

  return(): Promise<IteratorResult<Message>> {
    this.close();
    return Promise.resolve(done);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal?.removeEventListener("abort", this.onAbort);
    this.stopWaiting?.();
    this.pendingNext?.(done);
  }
}
