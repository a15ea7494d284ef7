import type { Message } from "../message.js";
import type { ConsumerIdentity, Delivery } from "../middleware.js";

/**
 * The pipeline's `Delivery`. Its `signal` is made on first use: with a processing timeout, each attempt
 * gets its own, aborted at the attempt's deadline (or with the work signal), so a processor that never
 * looks at it costs no AbortController; without one it is the work signal itself.
 */
export class PipelineDelivery implements Delivery {
  /** Set by the transaction stage for the processor (see `Delivery.transaction`). */
  transaction: unknown;
  private batch: readonly Message[] | undefined;
  private controller: AbortController | undefined;
  private unlink: (() => void) | undefined;
  private expiry: { reason: unknown } | undefined;

  constructor(
    /** The first message; with `rest` undefined, the only one (the array is made only when asked for). */
    readonly first: Message,
    messages: readonly Message[] | undefined,
    readonly attempt: number,
    readonly maxAttempts: number,
    readonly consumer: ConsumerIdentity,
    private readonly parent: AbortSignal,
    /** Whether attempts have deadlines (then the signal is the attempt's own). */
    private readonly timed: boolean,
    /** The delivery of the same attempt this one was derived from (it holds the signal). */
    private readonly root?: PipelineDelivery,
  ) {
    this.batch = messages;
  }

  /** `delivery` as a `PipelineDelivery` (middleware may pass plain objects on). */
  static of(delivery: Delivery, timed: boolean): PipelineDelivery {
    if (delivery instanceof PipelineDelivery) return delivery;
    const { messages, attempt, maxAttempts, consumer, signal } = delivery;
    return new PipelineDelivery(
      messages[0] as Message,
      messages,
      attempt,
      maxAttempts,
      consumer,
      signal,
      timed,
    );
  }

  get messages(): readonly Message[] {
    this.batch ??= [this.first];
    return this.batch;
  }

  /** How many messages, without making the array. */
  get size(): number {
    return this.batch?.length ?? 1;
  }

  get signal(): AbortSignal {
    const owner = this.root ?? this;
    return owner.timed ? owner.attemptSignal() : owner.parent;
  }

  /** The same attempt, with fewer (or decoded) messages. */
  withMessages(messages: readonly Message[]): PipelineDelivery {
    const owner = this.root ?? this;
    const first = messages[0] as Message;
    return new PipelineDelivery(
      first,
      messages,
      this.attempt,
      this.maxAttempts,
      this.consumer,
      owner.parent,
      owner.timed,
      owner,
    );
  }

  /** A new attempt at the same messages: a new signal. */
  nextAttempt(attempt: number): PipelineDelivery {
    const owner = this.root ?? this;
    return new PipelineDelivery(
      this.first,
      this.batch,
      attempt,
      this.maxAttempts,
      this.consumer,
      owner.parent,
      owner.timed,
    );
  }

  /** The attempt ended: its signal no longer follows the work signal (no listener left behind). */
  finish(): void {
    const owner = this.root ?? this;
    owner.unlink?.();
    owner.unlink = undefined;
  }

  /** The attempt's deadline passed: its signal aborts (now, or as soon as it is made). */
  expire(reason: unknown): void {
    const owner = this.root ?? this;
    owner.expiry = { reason };
    owner.controller?.abort(reason);
  }

  private attemptSignal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const controller = new AbortController();
    this.controller = controller;
    const parent = this.parent;
    if (this.expiry) controller.abort(this.expiry.reason);
    else if (parent.aborted) controller.abort(parent.reason);
    else {
      const follow = () => controller.abort(parent.reason);
      parent.addEventListener("abort", follow, { once: true });
      this.unlink = () => parent.removeEventListener("abort", follow);
    }
    return controller.signal;
  }
}

/** `delivery` with other messages, keeping its attempt's signal. */
export function withMessages(delivery: Delivery, messages: readonly Message[]): Delivery {
  return delivery instanceof PipelineDelivery ? delivery.withMessages(messages) : { ...delivery, messages };
}

/** `delivery` with other messages and the attempt's open transaction, keeping its signal. */
export function withTransaction(
  delivery: Delivery,
  messages: readonly Message[],
  transaction: unknown,
): Delivery {
  if (!(delivery instanceof PipelineDelivery)) return { ...delivery, messages, transaction };
  const inner = delivery.withMessages(messages);
  inner.transaction = transaction;
  return inner;
}

/** The next attempt at `delivery`. */
export function nextAttempt(delivery: Delivery, attempt: number): Delivery {
  return delivery instanceof PipelineDelivery ? delivery.nextAttempt(attempt) : { ...delivery, attempt };
}
