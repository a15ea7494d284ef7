import type { Message, Metadata, Offset } from "./message.js";

/** Options for opening a subscription or a receive loop. */
export interface SubscribeOptions {
  /** Ends the iteration (the iterator returns `done`) when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Told when this member's share of its group changes. Before a source gives partitions up
   * (`"revoking"`) it awaits what this returns, for a bounded time, so the consumer can finish and commit
   * them: the next owner then starts where this member stopped instead of one commit window earlier.
   */
  readonly onGroupChange?: (change: GroupChange) => void | Promise<void>;
}

export interface ReceiveOptions extends SubscribeOptions {
  /** Consumer group: receivers in one group share the queue's messages. */
  readonly group?: string;
  /**
   * Identifies this member of the group, unique per process: the consumer passes
   * `{name}@{host}:{pid}:{random}`, so replicas of one config never mistake each other's pending
   * messages for their own.
   */
  readonly consumerId?: string;
}

/** A change in this member's share of its group, as the source reports it (`onGroupChange`). */
export type GroupChange =
  /** The partitions this member owns from now on (the whole list). */
  | { readonly kind: "assigned"; readonly partitions: readonly string[] }
  /** These partitions are about to go to other members: finish and commit what was taken from them. */
  | { readonly kind: "revoking"; readonly partitions: readonly string[] }
  /** Messages a departed member left unsettled were taken over by this one. */
  | { readonly kind: "claimed"; readonly from: string; readonly messages: number };

/**
 * A topic-based source: every subscriber id gets every message; subscribers that share an id share the
 * messages between them (a consumer group). Delivery guarantees are the driver's to document.
 */
export interface PubSubInterface {
  /** Publishes a message and resolves with its id once the backend has accepted it. */
  publish(topic: string, payload: Uint8Array, metadata?: Metadata): Promise<string>;
  /** Resolves once the subscription is active, with the messages in delivery order. */
  subscribe(topic: string, subscriberId: string, options?: SubscribeOptions): Promise<AsyncIterable<Message>>;
  /** Ends this process's iterations for the subscriber id. Durable group state (if any) is kept. */
  unsubscribe(topic: string, subscriberId: string): Promise<void>;
}

/** A work queue with explicit settlement: a received message stays pending until acknowledged or rejected. */
export interface QueueInterface {
  /** Adds a message and resolves with its id once the backend has stored it. */
  enqueue(queue: string, payload: Uint8Array, metadata?: Metadata): Promise<string>;
  /** Resolves once receiving has started, with the messages in delivery order. */
  receive(queue: string, options?: ReceiveOptions): Promise<AsyncIterable<Message>>;
  /** Marks a received message done; it is not delivered again. */
  acknowledge(message: Message): Promise<void>;
  /** Gives a received message back: delivered again (`requeue`), or dropped by the backend. */
  reject(message: Message, requeue: boolean): Promise<void>;
}

/** A byte-valued key/value store; the consumer keeps its checkpoints here. */
export interface KeyValueBasicInterface {
  /** Stores `value` under `key`; a `ttlSeconds` of 0 or undefined keeps it until deleted. */
  set(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void>;
  /** The stored value, or `undefined` when the key does not exist or has expired. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Removes the key; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
}

/**
 * The offset last finished in `partition`, or `undefined` when nothing was checkpointed there.
 * Core reads it from the state store, so a driver can ask again whenever partitions are (re)assigned.
 */
export type CheckpointLookup = (partition: string) => Promise<Offset | undefined>;
