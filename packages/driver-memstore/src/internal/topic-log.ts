import type { CheckpointLookup, Message, Metadata } from "@prism/consumer-core/driver";
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
  /** Messages to deliver again before new ones: rejected with requeue, or not settled in time. */
  redeliveries: Message[];
  /** Messages handed to acknowledging members, unsettled, with when they are delivered again (in order). */
  readonly pending: Map<Message, number>;
  expiryTimer: ReturnType<typeof setTimeout> | undefined;
}

/** How a pending message of an acknowledging member is settled. */
export type Outcome = "acknowledge" | "requeue" | "drop";

export interface TopicLogOptions {
  /** Most messages the slowest group may lag behind; `publish` waits beyond it. */
  readonly capacity: number;
  /** Messages kept for replay once every group has received them. */
  readonly retention: number;
  /** How long a message of an acknowledged subscription may stay unsettled before it is delivered again. */
  readonly visibilityTimeoutMs: number;
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
  /** The group of every message handed to an acknowledging member. */
  private readonly groupOf = new WeakMap<Message, Group>();

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

  /** Messages not yet delivered to `groupId` (plus those to deliver again); `undefined` for an unknown group. */
  groupLag(groupId: string): number | undefined {
    const group = this.groups.get(groupId);
    return group && this.endSeq - group.next + group.redeliveries.length;
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
   * Joins `groupId` (created on first use, starting at the oldest retained message). When `resume` is
   * given, the group's cursor moves right after the offset it returns: for a plain member when the group
   * has no members yet; for an acknowledging member only when the group is new (acknowledgements, not
   * the checkpoint, say where an existing group stands). An acknowledging member's messages stay pending
   * until settled; what it leaves unsettled when it stops goes to the group again.
   */
  async subscribe(
    groupId: string,
    signal: AbortSignal | undefined,
    resume: CheckpointLookup | undefined,
    acknowledging: boolean,
  ): Promise<LogIterator> {
    let group = this.groups.get(groupId);
    const created = !group;
    if (!group) {
      group = {
        next: this.firstSeq,
        members: new Set(),
        waiting: new Waiters(),
        redeliveries: [],
        pending: new Map(),
        expiryTimer: undefined,
      };
      this.groups.set(groupId, group);
    }
    if (resume && (acknowledging ? created : group.members.size === 0)) {
      const offset = await resume("0");
      if (offset !== undefined)
        group.next = Math.min(Math.max(Number(offset) + 1, this.firstSeq), this.endSeq);
    }
    const iterator = new LogIterator(this, group, signal, acknowledging);
    group.members.add(iterator);
    return iterator;
  }

  /** Ends every iteration of the group in this store; its cursor stays for the next subscriber. */
  unsubscribe(groupId: string): void {
    for (const member of this.groups.get(groupId)?.members ?? []) member.close();
  }

  /** The group's next message — one given back first, else the next published — if there is one. */
  take(group: Group, member: LogIterator): Message | undefined {
    let message = group.redeliveries.shift();
    if (message === undefined) {
      if (group.next >= this.endSeq) return undefined;
      message = this.entries[this.head + (group.next - this.firstSeq)] as Message;
      group.next++;
      if (this.publishers.size > 0 && this.lag < this.options.capacity) this.publishers.wakeAll();
    }
    if (member.acknowledging) {
      // Settling names the message, so each group's delivery must be an object of its own.
      if (this.groupOf.has(message)) message = { ...message };
      this.groupOf.set(message, group);
      group.pending.set(message, this.options.now() + this.options.visibilityTimeoutMs);
      group.expiryTimer ??= this.scheduleExpiry(group, this.options.visibilityTimeoutMs);
    }
    return message;
  }

  /** Settles a message handed to an acknowledging member; false when this log never handed it out. */
  settle(message: Message, outcome: Outcome): boolean {
    const group = this.groupOf.get(message);
    if (!group) return false;
    if (!group.pending.delete(message)) {
      throw new Error(
        `memstore topic "${this.topic}": message ${message.id} is not pending ` +
          "(already settled, or its visibility timeout passed and it was delivered again)",
      );
    }
    if (outcome === "requeue") this.giveBack(group, [message]);
    return true;
  }

  leave(group: Group, member: LogIterator): void {
    group.members.delete(member);
  }

  private scheduleExpiry(group: Group, ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.expire(group), ms);
    timer.unref?.();
    return timer;
  }

  /** Delivers again what acknowledging members did not settle in time. */
  private expire(group: Group): void {
    group.expiryTimer = undefined;
    const now = this.options.now();
    const expired: Message[] = [];
    for (const [message, visibleAt] of group.pending) {
      if (visibleAt > now) {
        group.expiryTimer = this.scheduleExpiry(group, visibleAt - now);
        break;
      }
      group.pending.delete(message);
      expired.push(message);
    }
    if (expired.length > 0) this.giveBack(group, expired);
  }

  /** Queues messages to be delivered again (in log order, before new ones), counting the delivery. */
  private giveBack(group: Group, messages: Message[]): void {
    const again = messages.map((m) => ({ ...m, deliveryAttempt: m.deliveryAttempt + 1 }));
    group.redeliveries = [...group.redeliveries, ...again].sort(
      (a, b) => Number(a.position?.offset) - Number(b.position?.offset),
    );
    group.waiting.wakeAll();
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

/**
 * One member's view of a group: pulls the group's next message, waits when there is none, and hands over
 * what is already published without a promise per message (`takeBuffered`).
 */
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
    readonly acknowledging: boolean,
  ) {
    if (signal?.aborted) this.close();
    else signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  next(): Promise<IteratorResult<Message>> {
    if (this.closed) return Promise.resolve(done);
    const message = this.log.take(this.group, this);
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

  takeBuffered(max: number): Message[] {
    const taken: Message[] = [];
    if (this.closed) return taken;
    const limit = Math.min(max, this.turns.room());
    while (taken.length < limit) {
      const message = this.log.take(this.group, this);
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
    this.pending?.(done);
    this.log.leave(this.group, this);
  }
}
