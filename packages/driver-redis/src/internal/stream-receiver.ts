import { describeError, type Logger, type Message } from "@prism/consumer-core";
import type { Redis } from "ioredis";
import { mapRedisError } from "../errors.js";
import {
  compareIds,
  deliveryCounts,
  entriesOfAutoClaim,
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
 * receiver was asked to requeue, entries idle longer than `claimIdleMs` reclaimed from other consumers
 * (XAUTOCLAIM, every `claimIdleMs / 2`), and otherwise new entries, waiting up to `blockMs` on its own
 * connection. While active it keeps its unsettled entries' idle time fresh, so other consumers do not
 * reclaim messages that are merely slow to process.
 */
export class StreamReceiver {
  /** Where the re-read of our own pending entries continues; undefined once it is done. */
  private ownPendingCursor: string | undefined = "0";
  private readonly requeued: StreamEntry[] = [];
  /** Ids handed out and not yet acknowledged or rejected. */
  private readonly unsettled = new Set<string>();
  private claimCursor = "0-0";
  private nextClaimAt = 0;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly ended = new AbortController();
  private loopSignal: AbortSignal | undefined;

  constructor(
    private readonly client: Redis,
    /** Dedicated to this receiver: a blocking XREADGROUP occupies its connection. */
    private readonly blocking: Redis,
    readonly target: ReceiverTarget,
    private readonly settings: ReceiverSettings,
    private readonly logger: Logger,
    private readonly onEnd: () => void,
  ) {
    this.heartbeat = setInterval(
      () => this.touchUnsettled(),
      Math.max(1, Math.floor(settings.claimIdleMs / 3)),
    );
    this.heartbeat.unref?.();
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
        const claimed = await this.reclaim();
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
    this.unsettled.delete(id);
  }

  /**
   * Delivers a message again soon. While the receiver runs: claimed back to this consumer (the delivery
   * count goes up) and handed out by its next fetch. After it ended: its idle time is set to `claimIdleMs`,
   * so any consumer of the group reclaims it at once, and this consumer id re-reads it when it starts again.
   */
  async requeue(message: Message): Promise<void> {
    const { stream, group, consumer } = this.target;
    this.unsettled.delete(message.id);
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

  /** Stops the loop: releases the blocking connection (ending a blocked read at once) and the heartbeat. */
  end(): void {
    if (this.ended.signal.aborted) return;
    this.ended.abort();
    clearInterval(this.heartbeat);
    this.blocking.disconnect();
    this.onEnd();
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

  private async reclaim(): Promise<Message[]> {
    const { stream, group, consumer } = this.target;
    const reply = await this.client.callBuffer(
      "XAUTOCLAIM",
      stream,
      group,
      consumer,
      String(this.settings.claimIdleMs),
      this.claimCursor,
      "COUNT",
      String(this.settings.batchSize),
    );
    const { cursor, entries } = entriesOfAutoClaim(reply);
    this.claimCursor = cursor;
    // "0-0": the whole pending list was scanned; otherwise continue with the next fetch.
    this.nextClaimAt = cursor === "0-0" ? Date.now() + this.settings.claimIdleMs / 2 : 0;
    const waiting = new Set(this.requeued.map((entry) => entry.id));
    // Our own unsettled entries may be claimed too (e.g. after a stalled heartbeat): that only reset their
    // idle time; they are still being processed here, so they are not handed out twice.
    return this.withCounts(entries.filter((e) => !this.unsettled.has(e.id) && !waiting.has(e.id)));
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
      this.unsettled.add(entry.id);
      messages.push(toMessage(entry, this.target.queue, deliveryAttempt(entry.id)));
    }
    return messages;
  }

  private touchUnsettled(): void {
    if (this.unsettled.size === 0) return;
    const { stream, group, consumer } = this.target;
    // JUSTID: resets the idle time without counting a delivery.
    this.client.call("XCLAIM", stream, group, consumer, "0", ...this.unsettled, "JUSTID").catch((error) => {
      this.logger.debug(`redis: could not refresh pending messages of "${stream}"`, {
        error: describeError(error),
      });
    });
  }
}
