import {
  describeError,
  type GroupChange,
  HeldMessages,
  type Logger,
  type Message,
} from "@prism/consumer-core/driver";
import type { Redis } from "ioredis";
import { mapRedisError } from "../errors.js";
import { departedMembers } from "./group-members.js";
import {
  compareIds,
  deliveryCounts,
  entriesOfClaim,
  entriesOfRead,
  type StreamEntry,
  toMessage,
} from "./stream-entries.js";

export interface ReceiverSettings {
  readonly claimIdleMs: number;
  readonly blockMs: number;
  readonly batchSize: number;
}

export interface ReceiverTarget {
  /** The Redis key of the stream (prefix + queue name). */
  readonly stream: string;
  /** The queue name, as messages report it in `topic`. */
  readonly queue: string;
  readonly group: string;
  readonly consumer: string;
}

/** XGROUP CREATE … 0 MKSTREAM: a new group starts at the beginning, so earlier messages are delivered. */
export async function createGroup(client: Redis, stream: string, group: string): Promise<void> {
  try {
    await client.call("XGROUP", "CREATE", stream, group, "0", "MKSTREAM");
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith("BUSYGROUP"))) {
      throw mapRedisError(error, `XGROUP CREATE "${stream}" "${group}"`);
    }
  }
}

/** NOGROUP, or UNBLOCKED when the stream was deleted under a blocked read: the group has to be made again. */
const isGroupGone = (error: unknown) => error instanceof Error && /^(NOGROUP|UNBLOCKED) /.test(error.message);

/**
 * One receive loop of one consumer in a group. Each fetch delivers, in this order: the consumer's own
 * pending entries (left by an earlier run with the same consumer id; only at start), messages this
 * receiver was asked to requeue, entries taken over from departed members (every `claimIdleMs / 2`), and
 * otherwise new entries, waiting up to `blockMs` on its own connection.
 *
 * A member is departed when Redis has not heard from it for `claimIdleMs` (XINFO CONSUMERS idle): a
 * living receiver reads at least every `blockMs` and, while it holds messages, keeps their idle time fresh
 * (every `claimIdleMs / 3`), so messages that are merely slow to process are never taken from it. What a
 * departed member left pending is claimed (XCLAIM with that minimum idle time, so two takers never both
 * get an entry) and the member, once it holds nothing, is removed from the group (XGROUP DELCONSUMER).
 */
export class StreamReceiver {
  /** Where the re-read of our own pending entries continues; undefined once it is done. */
  private ownPendingCursor: string | undefined = "0";
  private readonly requeued: StreamEntry[] = [];
  /** Ids handed out and not yet acknowledged or rejected; their idle time is kept fresh while the loop runs. */
  private readonly unsettled: HeldMessages<string>;
  private nextClaimAt = 0;
  private readonly ended = new AbortController();
  private loopSignal: AbortSignal | undefined;

  constructor(
    private readonly client: Redis,
    /** Dedicated to this receiver: a blocking XREADGROUP occupies its connection. */
    private readonly blocking: Redis,
    readonly target: ReceiverTarget,
    private readonly settings: ReceiverSettings,
    private readonly logger: Logger,
    private readonly onGroupChange: ((change: GroupChange) => void | Promise<void>) | undefined,
    private readonly onEnd: () => void,
  ) {
    const { stream, group, consumer } = target;
    this.unsettled = new HeldMessages<string>({
      renewEveryMs: settings.claimIdleMs / 3,
      // JUSTID: resets the idle time without counting a delivery.
      renew: (ids) => client.call("XCLAIM", stream, group, consumer, "0", ...ids, "JUSTID"),
      onError: (error) =>
        logger.debug(`redis: could not refresh pending messages of "${stream}"`, {
          error: describeError(error),
        }),
    });
  }

  /** Aborts when the receiver has ended (its loop finished, its signal fired, or the driver closed). */
  get signal(): AbortSignal {
    return this.ended.signal;
  }

  async fetch(signal: AbortSignal): Promise<Message[]> {
    if (signal !== this.loopSignal) {
      this.loopSignal = signal;
      signal.addEventListener("abort", () => this.end(), { once: true });
    }
    try {
      if (this.ownPendingCursor !== undefined) return await this.readOwnPending();
      if (this.requeued.length > 0) return await this.withCounts(this.requeued.splice(0));
      if (Date.now() >= this.nextClaimAt) {
        const claimed = await this.claimFromDeparted();
        if (claimed.length > 0) return claimed;
      }
      return this.handOut(await this.readNew(), () => 1);
    } catch (error) {
      if (!isGroupGone(error)) throw mapRedisError(error, `receive from "${this.target.stream}"`);
      // The stream or group vanished (deleted, or a server restart without persistence): start over.
      await createGroup(this.client, this.target.stream, this.target.group);
      return [];
    }
  }

  /** Forgets a settled message (it no longer needs its idle time kept fresh). */
  settled(id: string): void {
    this.unsettled.release(id);
  }

  /**
   * Delivers a message again soon. While the receiver runs: claimed back to this consumer (the delivery
   * count goes up) and handed out by its next fetch. After it ended: its idle time is set to `claimIdleMs`,
   * so any consumer of the group reclaims it at once, and this consumer id re-reads it when it starts again.
   */
  async requeue(message: Message): Promise<void> {
    const { stream, group, consumer } = this.target;
    this.unsettled.release(message.id);
    try {
      if (this.ended.signal.aborted) {
        const idle = String(this.settings.claimIdleMs);
        await this.client.call("XCLAIM", stream, group, consumer, "0", message.id, "IDLE", idle, "JUSTID");
      } else {
        const reply = await this.client.callBuffer("XCLAIM", stream, group, consumer, "0", message.id);
        this.requeued.push(...entriesOfClaim(reply));
      }
    } catch (error) {
      throw mapRedisError(error, `XCLAIM "${stream}" ${message.id}`);
    }
  }

  /**
   * Stops the loop: releases the blocking connection (ending a blocked read at once), stops refreshing.
   * Entries still unsettled (read ahead, or abandoned) are marked idle, so the group's other members take
   * them at their next sweep instead of waiting for this member to count as departed.
   */
  end(): void {
    if (this.ended.signal.aborted) return;
    this.ended.abort();
    this.unsettled.stop();
    this.blocking.disconnect();
    this.onEnd();
    if (this.unsettled.size === 0) return;
    const { stream, group, consumer } = this.target;
    const idle = String(this.settings.claimIdleMs);
    this.client
      .call("XCLAIM", stream, group, consumer, "0", ...this.unsettled.items(), "IDLE", idle, "JUSTID")
      .catch((error) => {
        this.logger.debug(`redis: could not hand back pending messages of "${stream}"`, {
          error: describeError(error),
        });
      });
  }

  private async readOwnPending(): Promise<Message[]> {
    const { stream, group, consumer } = this.target;
    const cursor = this.ownPendingCursor as string;
    const count = String(this.settings.batchSize);
    const reply = await this.client.callBuffer(
      "XREADGROUP",
      "GROUP",
      group,
      consumer,
      "COUNT",
      count,
      "STREAMS",
      stream,
      cursor,
    );
    const entries = entriesOfRead(reply);
    const last = entries.at(-1);
    this.ownPendingCursor = last?.id;
    const trimmed = entries.filter((entry) => entry.fields === null).map((entry) => entry.id);
    // Trimmed away while pending: nothing is left to deliver, so take them off the pending list.
    if (trimmed.length > 0) await this.client.call("XACK", stream, group, ...trimmed);
    return this.withCounts(entries.filter((entry) => entry.fields !== null));
  }

  /**
   * Claims up to a batch of what departed members left pending (reported as a group change) and removes
   * departed members that hold nothing. Runs every `claimIdleMs / 2`, or on the next fetch while more is left.
   */
  private async claimFromDeparted(): Promise<Message[]> {
    const { stream, group, consumer } = this.target;
    const { claimIdleMs, batchSize } = this.settings;
    this.nextClaimAt = Date.now() + claimIdleMs / 2;
    const members = departedMembers(await this.client.call("XINFO", "CONSUMERS", stream, group), {
      self: consumer,
      idleMs: claimIdleMs,
    });
    const claimed: StreamEntry[] = [];
    for (const member of members) {
      if (member.pending === 0) {
        await this.client.call("XGROUP", "DELCONSUMER", stream, group, member.name);
        this.logger.info(
          `redis: removed departed member ${member.name} from group "${group}" of "${stream}"`,
        );
        continue;
      }
      const room = batchSize - claimed.length;
      if (room <= 0) {
        this.nextClaimAt = 0;
        break;
      }
      const minIdle = String(claimIdleMs);
      const pending = await this.client.call(
        "XPENDING",
        stream,
        group,
        "IDLE",
        minIdle,
        "-",
        "+",
        String(room),
        member.name,
      );
      const ids = (pending as unknown[][]).map((entry) => String(entry[0]));
      if (ids.length === 0) continue;
      // The minimum idle time again: of two members claiming at once, only the first gets an entry.
      const entries = entriesOfClaim(
        await this.client.callBuffer("XCLAIM", stream, group, consumer, minIdle, ...ids),
      );
      if (member.pending > ids.length) this.nextClaimAt = 0;
      if (entries.length === 0) continue;
      claimed.push(...entries);
      await this.onGroupChange?.({ kind: "claimed", from: member.name, messages: entries.length });
    }
    const waiting = new Set(this.requeued.map((entry) => entry.id));
    return this.withCounts(claimed.filter((e) => !this.unsettled.has(e.id) && !waiting.has(e.id)));
  }

  private async readNew(): Promise<StreamEntry[]> {
    const { stream, group, consumer } = this.target;
    const reply = await this.blocking.callBuffer(
      "XREADGROUP",
      "GROUP",
      group,
      consumer,
      "COUNT",
      String(this.settings.batchSize),
      "BLOCK",
      String(this.settings.blockMs),
      "STREAMS",
      stream,
      ">",
    );
    return entriesOfRead(reply);
  }

  /** Hands out entries delivered before, with their delivery counts from XPENDING (one call). */
  private async withCounts(entries: StreamEntry[]): Promise<Message[]> {
    if (entries.length === 0) return [];
    const { stream, group, consumer } = this.target;
    const ids = entries.map((entry) => entry.id).sort(compareIds);
    // Our pending entries between the first and last id are at most these, the unsettled and the requeued.
    const limit = String(entries.length + this.unsettled.size + this.requeued.length);
    const reply = await this.client.call(
      "XPENDING",
      stream,
      group,
      ids[0] as string,
      ids.at(-1) as string,
      limit,
      consumer,
    );
    const counts = deliveryCounts(reply);
    return this.handOut(entries, (id) => counts.get(id) ?? 1);
  }

  private handOut(entries: StreamEntry[], deliveryAttempt: (id: string) => number): Message[] {
    const messages: Message[] = [];
    for (const entry of entries) {
      if (entry.fields === null) continue;
      this.unsettled.hold(entry.id);
      messages.push(toMessage(entry, this.target.queue, deliveryAttempt(entry.id)));
    }
    return messages;
  }
}
