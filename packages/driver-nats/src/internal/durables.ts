import { AckPolicy, type ConsumerInfo, DeliverPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { jetStreamErrorCode } from "../errors.js";

/** JetStream's err_code for "consumer not found". */
const consumerNotFound = 10014;

export interface DurableSettings {
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
}

/** Where a group reads: a durable pull consumer on a stream, filtered to one subject. */
export interface DurableRef {
  readonly stream: string;
  readonly name: string;
  readonly subject: string;
}

/** Where a durable stands: everything up to `streamSequence` acknowledged, nothing after it delivered. */
export interface DurablePosition {
  readonly streamSequence: number;
  /** The durable's last delivery sequence: the next delivery is this + 1 (0 for a new durable). */
  readonly deliverySequence: number;
}

/**
 * Creates and positions the durable pull consumers that hold each group's place: explicit acks,
 * `ack_wait`, `max_deliver`. A new durable starts at the stream's first message (or right after a given
 * sequence); an existing one keeps its place, its settings brought up to date.
 */
export class Durables {
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly settings: DurableSettings,
  ) {}

  /**
   * Makes sure the durable exists; a missing one is created right after `startAfter` when given. With
   * `reposition`, an existing durable is deleted and created again right after `startAfter` unless it
   * already stands exactly there (everything up to it acknowledged, nothing after it delivered).
   */
  async ensure(durable: DurableRef, startAfter: number | undefined, reposition: boolean): Promise<void> {
    let info = await this.info(durable);
    if (info && reposition && startAfter !== undefined && !standsAt(info, startAfter)) {
      await this.delete(durable);
      info = undefined;
    }
    const ackWait = nanos(this.settings.ackWaitMs);
    const maxDeliver = this.settings.maxDeliver;
    if (!info) {
      await this.create(durable, startAfter);
    } else if (info.config.ack_wait !== ackWait || (info.config.max_deliver ?? -1) !== maxDeliver) {
      await this.jsm.consumers.update(durable.stream, durable.name, {
        ack_wait: ackWait,
        max_deliver: maxDeliver,
      });
    }
  }

  /**
   * Makes the durable stand right after `after` — or, without it, right after its acknowledgement floor
   * (the last message such that it and everything before it were acknowledged) — so that nothing it
   * delivered before is outstanding: when it does not stand exactly there, it is deleted and created
   * again there (a missing one is created). Returns where it stands and its delivery sequence.
   */
  async position(durable: DurableRef, after: number | undefined): Promise<DurablePosition> {
    const info = await this.info(durable);
    const target = after ?? info?.ack_floor.stream_seq;
    if (info && target !== undefined && standsAt(info, target)) {
      return { streamSequence: target, deliverySequence: info.delivered.consumer_seq };
    }
    if (info) await this.delete(durable);
    await this.create(durable, target);
    return { streamSequence: target ?? 0, deliverySequence: 0 };
  }

  private async create(durable: DurableRef, startAfter: number | undefined): Promise<void> {
    await this.jsm.consumers.add(durable.stream, {
      durable_name: durable.name,
      filter_subject: durable.subject,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.settings.ackWaitMs),
      max_deliver: this.settings.maxDeliver,
      ...(startAfter === undefined
        ? { deliver_policy: DeliverPolicy.All }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startAfter + 1 }),
    });
  }

  private async delete(durable: DurableRef): Promise<void> {
    await this.jsm.consumers.delete(durable.stream, durable.name).catch((error: unknown) => {
      if (jetStreamErrorCode(error) !== consumerNotFound) throw error;
    });
  }

  private async info(durable: DurableRef): Promise<ConsumerInfo | undefined> {
    try {
      return await this.jsm.consumers.info(durable.stream, durable.name);
    } catch (error) {
      if (jetStreamErrorCode(error) === consumerNotFound) return undefined;
      throw error;
    }
  }
}

function standsAt(info: ConsumerInfo, sequence: number): boolean {
  return (
    info.delivered.stream_seq === sequence &&
    info.ack_floor.stream_seq === sequence &&
    info.num_ack_pending === 0
  );
}
