import { PrismError, PrismErrorCode } from "./errors.js";
import type { CheckpointLookup, GroupChange } from "./interfaces.js";
import type { Message } from "./message.js";
import type { PartitionProgress } from "./partition-progress.js";
import type { PushChannel } from "./push-channel.js";

/** A message on its way to the reader, stamped with its partition's epoch when it was fetched. */
export interface HandedMessage {
  readonly message: Message;
  readonly partition: number;
  readonly offset: bigint;
  readonly epoch: number;
}

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** How long a member giving partitions up waits for the consumer to finish and commit them. */
const revokeGraceMs = 10_000;

export interface PartitionHandoverOptions {
  /** For messages: `kafka: checkpoint of partition 0 of "orders" …`. */
  readonly driver: string;
  readonly topic: string;
  readonly progress: (partition: number) => PartitionProgress;
  /** The consumer's checkpoint lookup (`ResumableSource.resumeAfter`), if it gave one. */
  readonly resume: CheckpointLookup | undefined;
  /** Members of the group now (the coordinator's view), to tell whether a partition can come from another. */
  readonly groupSize: () => Promise<number>;
  /** How long a member that gave a partition up may still take to commit it (one heartbeat). */
  readonly heartbeatIntervalMs: number;
  readonly onGroupChange: ((change: GroupChange) => void | Promise<void>) | undefined;
  /** Moves the client's fetch position of `partition` (the next fetch starts at `offset`). */
  readonly seek: (partition: number, offset: bigint) => void;
  /** Where a partition starts that neither this driver nor a checkpoint positioned; undefined: the client decides. */
  readonly fallbackStart?: (partition: number) => Promise<bigint | undefined>;
  /** Takes back what waits between the client and the reader (the partitions resume at it). */
  readonly drain: () => readonly { readonly partition: number; readonly offset: bigint }[];
  readonly closing: () => boolean;
}

/**
 * The partitions one group member owns, through rebalances. An assignment positions each partition at
 * once (not when its next batch arrives): where this driver left off, else right after the consumer's
 * checkpoint, else where the client or the group's committed offset says. A revocation takes back what
 * waits for the reader (those partitions rewind to the first message the reader has not taken), stops
 * hand-overs (`generation` aborts, every partition's epoch moves on) and gives the consumer up to
 * `revokeGraceMs` to finish and commit (`onGroupChange({ kind: "revoking" })`) before the member rejoins —
 * so the next owner of a partition starts where this one stopped.
 *
 * Every message is handed over stamped with its partition's epoch; a revocation, reassignment or rewind
 * bumps the epoch, which tells what was fetched before as stale.
 */
export class PartitionHandover {
  /** Partitions of the current generation; empty while the group rebalances. */
  readonly owned = new Set<number>();
  /**
   * Per partition whose first fetch since it was positioned has not come yet: where it starts, once
   * looked up (and sought).
   */
  readonly positions = new Map<number, Promise<bigint | undefined>>();
  /** Aborted when the generation's partitions are given up: ends waits to hand a message over. */
  generation = new AbortController();
  private assigned: ReadonlySet<number> = new Set();
  private readonly epochs = new Map<number, number>();
  private revoked: Promise<void> | undefined;

  constructor(private readonly o: PartitionHandoverOptions) {}

  /** Set from the moment a rebalance is seen until the new assignment: nothing more is handed over. */
  get revoking(): boolean {
    return this.revoked !== undefined;
  }

  /** Whether the partition is this member's (during a rebalance, until the new assignment). */
  isAssigned(partition: number): boolean {
    return this.assigned.has(partition);
  }

  epochOf(partition: number): number {
    return this.epochs.get(partition) ?? 0;
  }

  /**
   * The messages of `channel` whose partition's epoch has not moved on since they were fetched, in
   * channel order; ends when the channel does. Its iterator hands over what is buffered without a
   * promise per message (`takeBuffered`); stopping the iteration calls `close`.
   */
  messagesOf(channel: PushChannel<HandedMessage>, close: () => Promise<void>): AsyncIterable<Message> {
    const source = channel.iterable[Symbol.asyncIterator]() as AsyncIterator<HandedMessage> & {
      takeBuffered(max: number): HandedMessage[];
    };
    // A plain promise chain, not an async loop: it runs per message.
    const current = (
      next: IteratorResult<HandedMessage>,
    ): IteratorResult<Message> | Promise<IteratorResult<Message>> => {
      if (next.done) return done;
      const { message, partition, epoch } = next.value;
      if (this.epochOf(partition) === epoch) return { done: false, value: message };
      return source.next().then(current);
    };
    const iterator: AsyncIterableIterator<Message> & { takeBuffered(max: number): Message[] } = {
      next: () => source.next().then(current),
      takeBuffered: (max) => {
        const taken: Message[] = [];
        for (const { message, partition, epoch } of source.takeBuffered(max)) {
          if (this.epochOf(partition) === epoch) taken.push(message);
        }
        return taken;
      },
      return: async () => {
        await close();
        return done;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** A new generation's assignment: revoked partitions are forgotten, the rest positioned at once. */
  assign(partitions: readonly number[]): void {
    const next = new Set(partitions);
    const previous = this.assigned;
    for (const partition of previous) {
      if (next.has(partition)) continue;
      this.bump(partition);
      this.o.progress(partition).forgetPosition();
    }
    this.assigned = next;
    this.revoked = undefined;
    this.generation = new AbortController();
    this.owned.clear();
    this.positions.clear();
    // A partition new to this member can come from another member only while there is one: alone in
    // the group (a first start, or after the others left or died), nobody else can be committing it.
    const others =
      [...next].some((partition) => !previous.has(partition)) &&
      this.o.groupSize().then(
        (size) => size > 1,
        () => true,
      );
    for (const partition of next) {
      this.owned.add(partition);
      const positioning = this.position(partition, !previous.has(partition) ? others : false);
      // Awaited by the partition's next fetch (which fails with the error); never unhandled.
      positioning.catch(() => {});
      this.positions.set(partition, positioning);
    }
    void this.o.onGroupChange?.({
      kind: "assigned",
      partitions: [...next].sort((a, b) => a - b).map(String),
    });
  }

  /**
   * The group is rebalancing: stop handing over, take back what waits for the reader (its partitions
   * resume at the first message not taken), and let the consumer finish and commit. Once per generation.
   */
  revoke(): Promise<void> {
    this.revoked ??= (async () => {
      this.generation.abort();
      for (const { partition, offset } of this.o.drain()) this.o.progress(partition).undeliver(offset);
      for (const partition of this.assigned) this.bump(partition);
      this.owned.clear();
      const partitions = [...this.assigned].sort((a, b) => a - b).map(String);
      if (partitions.length === 0 || !this.o.onGroupChange || this.o.closing()) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.resolve(this.o.onGroupChange({ kind: "revoking", partitions })).catch(() => {}),
        new Promise((resolve) => {
          timer = setTimeout(resolve, revokeGraceMs);
        }),
      ]);
      clearTimeout(timer);
    })();
    return this.revoked;
  }

  /** Delivers `offset` of `partition` again (and what followed it): Kafka's only way to redeliver. */
  rewind(partition: number, offset: bigint): boolean {
    // `assigned`, not `owned`: during a rebalance the partition is still ours until the new assignment.
    if (this.o.closing() || !this.assigned.has(partition)) return false;
    this.bump(partition);
    this.o.progress(partition).next = offset;
    this.positions.set(partition, Promise.resolve(offset));
    this.o.seek(partition, offset);
    return true;
  }

  /** The member stops: positions are forgotten (unsettled offsets stay with their progress). */
  release(): void {
    for (const partition of this.assigned) this.o.progress(partition).forgetPosition();
    this.owned.clear();
  }

  /**
   * Where `partition` starts in this generation, sought at once. A partition new to this member, while
   * the group has other members, may come from one that is committing it right now (a client may rejoin
   * without waiting for that), so its checkpoint is read one heartbeat interval later (`handedOver`).
   */
  private async position(
    partition: number,
    handedOver: false | Promise<boolean>,
  ): Promise<bigint | undefined> {
    if (handedOver && (await handedOver)) {
      await new Promise((resolve) => setTimeout(resolve, this.o.heartbeatIntervalMs));
    }
    const start =
      (await this.startOffset(partition, this.o.progress(partition))) ??
      (await this.o.fallbackStart?.(partition));
    if (start !== undefined && this.assigned.has(partition) && !this.o.closing()) {
      this.o.progress(partition).next = start;
      this.o.seek(partition, start);
    }
    return start;
  }

  private async startOffset(partition: number, progress: PartitionProgress): Promise<bigint | undefined> {
    if (progress.next !== undefined) return progress.next;
    const checkpoint = await this.o.resume?.(String(partition));
    if (checkpoint === undefined) return undefined;
    try {
      return BigInt(checkpoint) + 1n;
    } catch {
      throw new PrismError(
        PrismErrorCode.StateCorrupt,
        `${this.o.driver}: checkpoint of partition ${partition} of "${this.o.topic}" is not an offset: ${String(checkpoint)}`,
      );
    }
  }

  private bump(partition: number): void {
    this.epochs.set(partition, this.epochOf(partition) + 1);
  }
}
