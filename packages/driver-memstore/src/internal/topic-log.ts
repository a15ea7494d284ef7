import type { CheckpointLookup, Message, Metadata } from "@prism/consumer-core";
import { EventLoopTurns } from "./event-loop-turns.js";
import { Waiters } from "./waiters.js";

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** A subscriber group's place in the log, shared by the group's members. */
interface Group {
  /** Sequence number of the next message the group receives. */
  next: number;
  readonly members: Set<LogIterator>;
  /** Members waiting for a message to be published. */
  readonly waiting: Waiters<void>;
}

export interface TopicLogOptions {
  /** Most messages the slowest group may lag behind; `publish` waits beyond it. */
  readonly capacity: number;
  /** Messages kept for replay once every group has received them. */
  readonly retention: number;
  readonly now: () => number;
}

/**
 * One topic: an append-only log with a durable cursor per subscriber group. Every group receives every
 * message; members of a group share them. Positions are `{ partition: "0", offset: sequence }`.
 */
export class TopicLog {
  private entries: Message[] = [];
  /** Index in `entries` of the message with sequence `firstSeq`. */
  private head = 0;
  private firstSeq = 1;
  private endSeq = 1;
  private readonly groups = new Map<string, Group>();
  private readonly publishers = new Waiters<void>();

  constructor(
    readonly topic: string,
    private readonly options: TopicLogOptions,
  ) {}

  /** Messages not yet delivered to the slowest group. */
  get lag(): number {
    let lag = 0;
    for (const group of this.groups.values()) lag = Math.max(lag, this.endSeq - group.next);
    return lag;
  }

  /** Messages held in memory. */
  get retained(): number {
    return this.endSeq - this.firstSeq;
  }

  async publish(payload: Uint8Array, metadata: Metadata): Promise<string> {
    while (this.lag >= this.options.capacity) await this.publishers.wait();
    const seq = this.endSeq++;
    const message: Message = {
      id: String(seq),
      topic: this.topic,
      payload: payload.slice(),
      metadata: { ...metadata },
      timestamp: this.options.now(),
      position: { partition: "0", offset: seq },
      deliveryAttempt: 1,
    };
    this.entries.push(message);
    for (const group of this.groups.values()) group.waiting.wakeAll();
    this.trim();
    return message.id;
  }

  /**
   * Joins `groupId` (created on first use, starting at the oldest retained message). When the group has
   * no members yet and `resume` is given, the group's cursor moves right after the offset it returns.
   */
  async subscribe(
    groupId: string,
    signal: AbortSignal | undefined,
    resume?: CheckpointLookup,
  ): Promise<LogIterator> {
    let group = this.groups.get(groupId);
    if (!group) {
      group = { next: this.firstSeq, members: new Set(), waiting: new Waiters() };
      this.groups.set(groupId, group);
    }
    if (resume && group.members.size === 0) {
      const offset = await resume("0");
      if (offset !== undefined)
        group.next = Math.min(Math.max(Number(offset) + 1, this.firstSeq), this.endSeq);
    }
    const iterator = new LogIterator(this, group, signal);
    group.members.add(iterator);
    return iterator;
  }

  /** Ends every iteration of the group in this store; its cursor stays for the next subscriber. */
  unsubscribe(groupId: string): void {
    for (const member of this.groups.get(groupId)?.members ?? []) member.close();
  }

  /** The group's next message, if one is published and not yet taken. */
  take(group: Group): Message | undefined {
    if (group.next >= this.endSeq) return undefined;
    const message = this.entries[this.head + (group.next - this.firstSeq)];
    group.next++;
    if (this.publishers.size > 0 && this.lag < this.options.capacity) this.publishers.wakeAll();
    return message;
  }

  leave(group: Group, member: LogIterator): void {
    group.members.delete(member);
  }

  private trim(): void {
    let keepFrom = this.endSeq - this.options.retention;
    for (const group of this.groups.values()) keepFrom = Math.min(keepFrom, group.next);
    if (keepFrom <= this.firstSeq) return;
    this.head += keepFrom - this.firstSeq;
    this.firstSeq = keepFrom;
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

/** One member's view of a group: pulls the group's next message, waits when there is none. */
export class LogIterator implements AsyncIterableIterator<Message> {
  private closed = false;
  private readonly turns = new EventLoopTurns();
  private pending: ((result: IteratorResult<Message>) => void) | undefined;
  private stopWaiting: (() => void) | undefined;
  private readonly onAbort = () => this.close();

  constructor(
    private readonly log: TopicLog,
    private readonly group: Group,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal?.aborted) this.close();
    else signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  next(): Promise<IteratorResult<Message>> {
    if (this.closed) return Promise.resolve(done);
    const message = this.log.take(this.group);
    if (message !== undefined) return this.turns.resolve({ done: false, value: message });
    this.turns.waiting();
    return new Promise((resolve) => {
      this.pending = resolve;
      this.stopWaiting = this.group.waiting.add(() => {
        this.stopWaiting = undefined;
        this.pending = undefined;
        resolve(this.next());
      });
    });
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
    this.pending?.(done);
    this.log.leave(this.group, this);
  }
}
