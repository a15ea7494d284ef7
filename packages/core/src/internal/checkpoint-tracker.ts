import type { Message, Offset } from "../message.js";
import { compareOffsets } from "../offsets.js";

/** One message between delivery and the end of its processing. */
export interface TrackedMessage {
  readonly id: string;
  readonly partition: string;
  readonly offset: Offset | undefined;
  done: boolean;
}

/** Messages of one partition in delivery order, as a queue with an advancing head. */
class PartitionTrack {
  private entries: TrackedMessage[] = [];
  private head = 0;

  get empty(): boolean {
    return this.head === this.entries.length;
  }

  push(entry: TrackedMessage): void {
    this.entries.push(entry);
  }

  /** Drops the finished prefix and returns its last entry, or undefined if the head is unfinished. */
  advance(): TrackedMessage | undefined {
    let last: TrackedMessage | undefined;
    const entries = this.entries;
    while (this.head < entries.length) {
      const entry = entries[this.head] as TrackedMessage;
      if (!entry.done) break;
      last = entry;
      this.head++;
    }
    if (this.head === entries.length) {
      entries.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
    return last;
  }
}

/**
 * Computes the checkpoint: per partition, the last message such that it and every message delivered
 * before it in that partition are finished. A message still in flight (or abandoned) holds the
 * checkpoint of its partition back, however many later messages finish. A partition's checkpoint never
 * moves backwards: a message the broker delivers again after newer ones (a redelivery on a shared group)
 * finishing later leaves it where it is.
 */
export class CheckpointTracker {
  private readonly partitions = new Map<string, PartitionTrack>();
  /** Finished offsets per partition, seeded from the stored state so other partitions are kept. */
  readonly offsets: Record<string, Offset>;
  lastOffset: Offset | null;
  lastMessageId: string | null;
  /** Increases on every advance, so a commit can tell whether anything changed. */
  version = 0;

  constructor(initial: {
    offsets: Record<string, Offset>;
    offset: Offset | null;
    lastMessageId: string | null;
  }) {
    this.offsets = { ...initial.offsets };
    this.lastOffset = initial.offset;
    this.lastMessageId = initial.lastMessageId;
  }

  begin(message: Message): TrackedMessage {
    const partition = message.position?.partition ?? "";
    const entry: TrackedMessage = {
      id: message.id,
      partition,
      offset: message.position?.offset,
      done: false,
    };
    let track = this.partitions.get(partition);
    if (track === undefined) {
      track = new PartitionTrack();
      this.partitions.set(partition, track);
    }
    track.push(entry);
    return entry;
  }

  /**
   * Records a message that finished as soon as it was delivered. When nothing is in flight before it
   * in its partition it becomes the checkpoint directly, without being queued (the common, fast case).
   */
  complete(message: Message): void {
    const position = message.position;
    const partition = position?.partition ?? "";
    if (this.partitions.size > 0 && this.partitions.get(partition)?.empty === false) {
      this.finish(this.begin(message));
      return;
    }
    if (position === undefined || this.advance(partition, position.offset)) this.lastMessageId = message.id;
    this.version++;
  }

  /** Moves the partition's checkpoint to `offset` unless it stands later already; true when it moved. */
  private advance(partition: string, offset: Offset): boolean {
    const current = this.offsets[partition];
    if (current !== undefined && (compareOffsets(current, offset) ?? -1) > 0) return false;
    this.offsets[partition] = offset;
    this.lastOffset = offset;
    return true;
  }

  /** Records messages that finished in delivery order, none begun (the one-at-a-time path). */
  completeInOrder(messages: readonly Message[]): void {
    for (const message of messages) this.complete(message);
  }

  finish(entry: TrackedMessage): void {
    const track = this.partitions.get(entry.partition);
    if (track === undefined) return;
    entry.done = true;
    const last = track.advance();
    if (last === undefined) return;
    if (last.offset === undefined || this.advance(entry.partition, last.offset)) this.lastMessageId = last.id;
    this.version++;
  }
}
