import type { CheckpointLookup } from "./interfaces.js";
import type { Message } from "./message.js";
import { PartitionProgress } from "./partition-progress.js";
import { UnsettledMessages } from "./unsettled-messages.js";

/** One group member of a partitioned log (a Kafka consumer) as `PartitionReaders` sees it. */
export interface PartitionReader {
  /** Partitions of the current generation. */
  readonly owned: ReadonlySet<number>;
  /** The messages; its iterator may hand over what is buffered at once (`takeBuffered`). */
  readonly messages: AsyncIterable<Message>;
  /** Delivers `offset` of `partition` again (and what followed); false when the partition is not its own. */
  rewind(partition: number, offset: bigint): boolean;
  close(): Promise<void>;
}

/** What a reader needs from `PartitionReaders` when it opens. */
export interface PartitionReaderContext {
  readonly progress: (partition: number) => PartitionProgress;
  readonly resume: CheckpointLookup | undefined;
}

type Handle = { readonly key: string; readonly partition: number; readonly offset: bigint };
type Buffered = AsyncIterator<Message> & { takeBuffered(max: number): Message[] };

/**
 * The bookkeeping of a partitioned-log driver above its client: per topic and group, the members
 * (readers) this driver runs, what each partition was given (`PartitionProgress`, which outlives a
 * member), the consumer's checkpoint lookups, and the queue messages handed out and not settled.
 * Acknowledging settles an offset (committed with the member's next group commit); rejecting with
 * `requeue` rewinds the partition to it (Kafka's only way to redeliver).
 */
export class PartitionReaders<R extends PartitionReader> {
  private readonly progress = new Map<string, PartitionProgress>();
  private readonly readers = new Map<string, Set<R>>();
  private readonly resumes = new Map<string, CheckpointLookup>();
  private readonly unsettled = new UnsettledMessages<Handle>();

  /** Opens a reader with `open` and returns its messages; queue messages are recorded for settling. */
  async open(
    topic: string,
    group: string,
    mode: "pubsub" | "queue",
    open: (context: PartitionReaderContext) => Promise<R>,
  ): Promise<AsyncIterable<Message>> {
    const key = readerKey(topic, group);
    const reader = await open({
      progress: (partition) => this.progressOf(key, partition),
      resume: this.resumes.get(key),
    });
    const members = this.readers.get(key) ?? new Set<R>();
    this.readers.set(key, members);
    members.add(reader);
    // Only queue messages are settled; pub/sub ones need no record (and it costs per message).
    const handedOut = mode === "queue" ? this.unsettled.receiver() : undefined;
    const record = (message: Message) => {
      const position = message.position;
      handedOut?.handOut(message, {
        key,
        partition: Number(position?.partition),
        offset: BigInt(position?.offset ?? 0),
      });
    };
    const messages = reader.messages;
    return {
      [Symbol.asyncIterator]() {
        const iterator = messages[Symbol.asyncIterator]() as Buffered;
        return {
          // A plain promise chain, not an async function: it runs per message.
          next: () =>
            iterator.next().then((next) => {
              if (next.done) {
                members.delete(reader);
                return next;
              }
              record(next.value);
              return next;
            }),
          takeBuffered(max: number): Message[] {
            const taken = iterator.takeBuffered(max);
            if (handedOut) for (const message of taken) record(message);
            return taken;
          },
          async return() {
            members.delete(reader);
            return (await iterator.return?.()) ?? { done: true, value: undefined };
          },
        };
      },
    };
  }

  /** Closes the readers of `topic` and `group`. */
  async close(topic: string, group: string): Promise<void> {
    const members = this.readers.get(readerKey(topic, group));
    await Promise.all([...(members ?? [])].map((member) => member.close()));
  }

  /** Closes every reader. */
  async closeAll(): Promise<void> {
    const members = [...this.readers.values()].flatMap((set) => [...set]);
    await Promise.all(members.map((member) => member.close()));
  }

  /** Marks messages done (committed with the next group commit); unknown or settled ones are ignored. */
  settle(messages: readonly Message[]): void {
    for (const message of messages) {
      const handed = this.unsettled.settle(message);
      if (handed) this.progressOf(handed.key, handed.partition).settle(handed.offset);
    }
  }

  /**
   * `requeue`: the partition is rewound to the message (what followed is delivered again too). Without
   * `requeue` the message counts as settled.
   */
  reject(message: Message, requeue: boolean): void {
    const handed = this.unsettled.settle(message);
    if (!handed) return;
    if (!requeue) {
      this.progressOf(handed.key, handed.partition).settle(handed.offset);
      return;
    }
    // With no live member owning the partition it stays unsettled: the next one fetches it again.
    for (const member of this.readers.get(handed.key) ?? []) {
      if (member.rewind(handed.partition, handed.offset)) return;
    }
  }

  /** Where readers opened later start when this driver has no position (`ResumableSource.resumeAfter`). */
  resumeAfter(topic: string, group: string, lookup: CheckpointLookup): void {
    this.resumes.set(readerKey(topic, group), lookup);
  }

  resumeOf(topic: string, group: string): CheckpointLookup | undefined {
    return this.resumes.get(readerKey(topic, group));
  }

  /** The partitions this driver's readers own (`PartitionedSource.ownedPartitions`). */
  ownedPartitions(topic: string, group: string): ReadonlySet<string> {
    const owned = new Set<string>();
    for (const member of this.readers.get(readerKey(topic, group)) ?? []) {
      for (const partition of member.owned) owned.add(String(partition));
    }
    return owned;
  }

  private progressOf(key: string, partition: number): PartitionProgress {
    const progressKey = `${key}\u0000${partition}`;
    const progress = this.progress.get(progressKey) ?? new PartitionProgress();
    this.progress.set(progressKey, progress);
    return progress;
  }
}

function readerKey(topic: string, group: string): string {
  return `${topic}\u0000${group}`;
}
