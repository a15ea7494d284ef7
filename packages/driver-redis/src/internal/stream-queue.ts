import { randomUUID } from "node:crypto";
import {
  coalescer,
  describeError,
  type Logger,
  type Message,
  type Metadata,
  PrismError,
  PrismErrorCode,
  pollingIterable,
  type QueueInterface,
  type ReceiveOptions,
} from "@prism/consumer-core/driver";
import type { Redis } from "ioredis";
import { mapRedisError } from "../errors.js";
import { connectClient, connectionDefaults, reportConnectionTrouble } from "./connection.js";
import { Field } from "./stream-entries.js";
import { createGroup, type ReceiverSettings, StreamReceiver } from "./stream-receiver.js";

export interface StreamQueueSettings extends ReceiverSettings {
  readonly keyPrefix: string;
  readonly poolSize: number;
  readonly maxLen: number;
  readonly connectTimeoutMs: number;
  /** Where the server is, for messages (credentials redacted). */
  readonly where: string;
}

const defaultGroup = "prism";

/**
 * A queue per Redis stream: XADD to enqueue, consumer groups to receive (XREADGROUP, XAUTOCLAIM), XACK
 * to settle. Each active receive holds a connection of its own (`poolSize` caps how many).
 */
export class StreamQueue implements QueueInterface {
  private readonly receivers = new Set<StreamReceiver>();
  /** Receives between the pool_size check and their connection being up. */
  private opening = 0;
  /** Which receiver handed out a message, so settling it knows the stream, group and consumer. */
  private readonly owners = new WeakMap<Message, StreamReceiver>();
  /** One coalescing XACK sender per stream and group. */
  private readonly acknowledgements = new Map<string, (id: string) => Promise<void>>();

  constructor(
    private readonly client: Redis,
    private readonly settings: StreamQueueSettings,
    private readonly logger: Logger,
  ) {}

  async enqueue(queue: string, payload: Uint8Array, metadata: Metadata = {}): Promise<string> {
    const stream = this.settings.keyPrefix + queue;
    const trim = this.settings.maxLen > 0 ? ["MAXLEN", "~", String(this.settings.maxLen)] : [];
    try {
      const id = await this.client.call(
        "XADD",
        stream,
        ...trim,
        "*",
        Field.Payload,
        Buffer.from(payload), // a copy: the command may wait in the offline queue
        Field.Metadata,
        JSON.stringify(metadata),
        Field.Timestamp,
        String(Date.now()),
      );
      return String(id);
    } catch (error) {
      throw mapRedisError(error, `XADD "${stream}"`);
    }
  }

  /**
   * Joins `options.group` (default "prism"; created at the start of the stream if new) as
   * `options.consumerId` (the consumer passes one unique per process; default: a new random id per
   * receive). What a member leaves pending when it stops or dies is taken over by the group's others.
   */
  async receive(queue: string, options: ReceiveOptions = {}): Promise<AsyncIterable<Message>> {
    if (options.signal?.aborted) return pollingIterable({ fetch: async () => [], signal: options.signal });
    if (this.receivers.size + this.opening >= this.settings.poolSize) {
      throw new PrismError(
        PrismErrorCode.BackendRejected,
        `redis receive("${queue}"): all ${this.settings.poolSize} connections of pool_size are held by ` +
          "active receives; raise pool_size or end a receive first",
      );
    }
    const stream = this.settings.keyPrefix + queue;
    const group = options.group ?? defaultGroup;
    const consumer = options.consumerId ?? `prism-${randomUUID()}`;
    const blocking = this.client.duplicate({
      ...connectionDefaults(this.settings.connectTimeoutMs),
      // Shows in CLIENT LIST which consumer a blocked connection belongs to.
      connectionName: `prism:${group}:${consumer}`.replace(/[^\w.:@-]/g, "_").slice(0, 128),
    });
    this.opening++;
    try {
      await createGroup(this.client, stream, group);
      await connectClient(blocking, this.settings.where);
    } catch (error) {
      blocking.disconnect();
      throw error;
    } finally {
      this.opening--;
    }
    reportConnectionTrouble(blocking, this.logger, this.settings.where);

    const target = { stream, queue, group, consumer };
    const receiver = new StreamReceiver(
      this.client,
      blocking,
      target,
      this.settings,
      this.logger,
      options.onGroupChange,
      () => {
        this.receivers.delete(receiver);
        options.signal?.removeEventListener("abort", stop);
      },
    );
    const stop = () => receiver.end();
    options.signal?.addEventListener("abort", stop, { once: true });
    this.receivers.add(receiver);
    if (options.signal?.aborted) receiver.end(); // aborted while connecting
    return pollingIterable({
      signal: receiver.signal,
      // Entries read ahead are pending for this consumer and kept fresh by the heartbeat like handed-out ones.
      readAhead: true,
      fetch: async (signal) => {
        const messages = await receiver.fetch(signal);
        for (const message of messages) this.owners.set(message, receiver);
        return messages;
      },
      onRetry: (error, failures) => {
        if (failures === 1) {
          this.logger.warn(`redis receive("${queue}") failed; retrying with backoff`, {
            error: describeError(error),
          });
        }
      },
      onRecovered: () => this.logger.info(`redis receive("${queue}") recovered`),
    });
  }

  private acknowledgerOf(stream: string, group: string): (id: string) => Promise<void> {
    const key = `${stream}\u0000${group}`;
    let acknowledger = this.acknowledgements.get(key);
    if (!acknowledger) {
      acknowledger = coalescer((ids) => this.client.call("XACK", stream, group, ...ids));
      this.acknowledgements.set(key, acknowledger);
    }
    return acknowledger;
  }

  /**
   * XACK: the message leaves the group's pending list for good. Acknowledgements made while another XACK
   * of the group is in flight go out together in the next one.
   */
  async acknowledge(message: Message): Promise<void> {
    const receiver = this.ownerOf(message);
    const { stream, group } = receiver.target;
    try {
      await this.acknowledgerOf(stream, group)(message.id);
    } catch (error) {
      throw mapRedisError(error, `XACK "${stream}" ${message.id}`);
    }
    receiver.settled(message.id);
  }

  /** XACK for many messages: one command per stream and group. */
  async acknowledgeBatch(messages: readonly Message[]): Promise<void> {
    const byGroup = new Map<StreamReceiver, string[]>();
    for (const message of messages) {
      const receiver = this.ownerOf(message);
      const ids = byGroup.get(receiver);
      if (ids) ids.push(message.id);
      else byGroup.set(receiver, [message.id]);
    }
    await Promise.all(
      [...byGroup].map(async ([receiver, ids]) => {
        const { stream, group } = receiver.target;
        try {
          await this.client.call("XACK", stream, group, ...ids);
        } catch (error) {
          throw mapRedisError(error, `XACK "${stream}" (${ids.length} ids)`);
        }
        for (const id of ids) receiver.settled(id);
      }),
    );
  }

  /**
   * `requeue`: delivered again soon, with a higher `deliveryAttempt` (see `StreamReceiver.requeue`).
   * Otherwise acknowledged: Redis has no "dead" state; dead-lettering is the consumer's job.
   */
  async reject(message: Message, requeue: boolean): Promise<void> {
    if (requeue) await this.ownerOf(message).requeue(message);
    else await this.acknowledge(message);
  }

  /** Ends every receive loop (their iterations finish) and releases their connections. */
  close(): void {
    for (const receiver of [...this.receivers]) receiver.end();
  }

  private ownerOf(message: Message): StreamReceiver {
    const receiver = this.owners.get(message);
    if (!receiver) {
      throw new PrismError(
        PrismErrorCode.BackendRejected,
        `redis: message ${message.id} of "${message.topic}" was not received through this driver; ` +
          "settle a message with the driver that received it",
      );
    }
    return receiver;
  }
}
