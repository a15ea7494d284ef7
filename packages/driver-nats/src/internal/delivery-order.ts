import type { DurablePosition } from "./durables.js";

/** What to do with a message a pub/sub subscription received. */
export const Verdict = {
  /** Hand it over: it is the next one in stream order. */
  Deliver: "deliver",
  /** Acknowledge and drop it: a redelivery of one handed over already. */
  Skip: "skip",
  /**
   * Something delivered before it never arrived (lost in flight): hand nothing more over, move the durable
   * right after the last message handed over, and read again from there.
   */
  Reposition: "reposition",
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** The sequences of a received message (JetStream's `JsMsg.info`). */
export interface Sequences {
  readonly streamSequence: number;
  readonly deliverySequence: number;
}

export interface DeliveryOrderOptions {
  /** Whether this subscription is the only one of its group in this process. */
  readonly alone: () => boolean;
  /** Changes whenever the connection drops or comes back (messages in flight may have been lost). */
  readonly connectionEpoch: () => number;
  /** Where the process's last subscription of the group stopped handing over, if known. */
  readonly lastHandedOver: number | undefined;
  /** Told about every message handed over (or skipped), and `undefined` once the position is unknown. */
  readonly onPosition: (sequence: number | undefined) => void;
  /**
   * Told once when ordering is given up, with why; `unexpected` unless it is because the process opened
   * another subscription of the group.
   */
  readonly onShared: (reason: string, unexpected: boolean) => void;
}

/** Repositions in a row, without a message handed over in between, after which ordering is given up. */
const maxFruitlessRepositions = 3;

/**
 * Keeps one pub/sub subscription's hand-overs in stream-sequence order without gaps filled later: the
 * "ordered consumer" recipe applied to the group's durable. The durable's delivery sequence counts every
 * delivery, so while this subscription is its only reader each received message must carry the last one
 * plus one; a jump means a delivery was lost in flight (the connection dropped, JetStream will redeliver it
 * only after `ack_wait`, after newer messages). Then the durable is moved right after the last message
 * handed over, which brings the lost one back first. Redeliveries of messages handed over already are
 * skipped.
 *
 * That needs a single reader. With other subscriptions of the group in this process, or evidence of a
 * reader elsewhere (a jump while the connection stayed up), the subscription is "shared" from then on and
 * hands over everything as it comes, as JetStream delivers it.
 */
export class DeliveryOrder {
  private lastSequence: number | undefined;
  private lastDelivery = 0;
  private receivedSinceOpen = 0;
  private epoch = 0;
  private fruitlessRepositions = 0;
  private isShared = false;

  constructor(private readonly options: DeliveryOrderOptions) {
    this.lastSequence = options.lastHandedOver;
  }

  /** Whether messages are kept in order (false once shared). Re-checks whether a member joined. */
  get ordered(): boolean {
    if (!this.isShared && !this.options.alone())
      this.share("another subscription of the group is open in this process", false);
    return !this.isShared;
  }

  /** The last stream sequence handed over, when known: where a reposition puts the durable. */
  get lastHandedOver(): number | undefined {
    return this.lastSequence;
  }

  /** A consume starts on a durable positioned as given (while `ordered`). */
  opened(position: DurablePosition): void {
    this.lastSequence = position.streamSequence;
    this.lastDelivery = position.deliverySequence;
    this.receivedSinceOpen = 0;
    this.epoch = this.options.connectionEpoch();
    this.options.onPosition(this.lastSequence);
  }

  /** The durable (or its stream) was deleted under this subscription: somebody else manages it. */
  lostDurable(): void {
    this.share("the group's durable was deleted by someone else");
  }

  /** Decides what happens to a received message. */
  inspect(message: Sequences): Verdict {
    if (!this.ordered) return Verdict.Deliver;
    const { streamSequence, deliverySequence } = message;
    const first = this.receivedSinceOpen === 0;
    this.receivedSinceOpen++;
    const epoch = this.options.connectionEpoch();
    if (deliverySequence !== this.lastDelivery + 1) {
      // A gap while the connection stayed up, past the first message of a consume (which may follow
      // deliveries into pull requests of an earlier one): another process reads the durable too.
      if (!first && epoch === this.epoch) {
        this.share("another reader takes messages from the group's durable");
        return Verdict.Deliver;
      }
      if (++this.fruitlessRepositions > maxFruitlessRepositions) {
        this.share("moving the durable did not stop deliveries going elsewhere");
        return Verdict.Deliver;
      }
      return Verdict.Reposition;
    }
    this.lastDelivery = deliverySequence;
    this.epoch = epoch;
    if (this.lastSequence !== undefined && streamSequence <= this.lastSequence) return Verdict.Skip;
    this.lastSequence = streamSequence;
    this.fruitlessRepositions = 0;
    this.options.onPosition(streamSequence);
    return Verdict.Deliver;
  }

  private share(reason: string, unexpected = true): void {
    if (this.isShared) return;
    this.isShared = true;
    this.lastSequence = undefined;
    this.options.onPosition(undefined);
    this.options.onShared(reason, unexpected);
  }
}
