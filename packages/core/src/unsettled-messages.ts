import { PrismError, PrismErrorCode } from "./errors.js";
import { HeldMessages, type HeldMessagesOptions } from "./held-messages.js";
import type { Message } from "./message.js";

/** One receive's part of `UnsettledMessages`: what it handed out, renewed while it runs. */
export interface UnsettledReceiver<H> {
  /** Records a message handed to the reader with the driver's handle for it (a delivery tag, a row id). */
  handOut(message: Message, handle: H): void;
  /**
   * The receive ended: its leases are no longer renewed. Returns the handles still unsettled, which stay
   * settleable (the consumer finishes what it holds after its reader stops); a broker without leases may
   * give them back when the driver closes.
   */
  stop(): H[];
}

/**
 * For drivers: messages handed out by `receive` and not yet acknowledged or rejected, each with the
 * driver's handle for it. Settling by message is one lookup; while a receive runs, the leases of what it
 * handed out are renewed (give `renew`), so a slow message never goes to another member while a dead
 * member's come back within one lease.
 */
export class UnsettledMessages<H> {
  private readonly handles = new WeakMap<Message, { readonly handle: H; readonly held: HeldMessages<H> }>();

  /** `renewal`: how the backend's lease (visibility timeout, ack wait) is extended; none: no leases. */
  receiver(renewal?: HeldMessagesOptions<H>): UnsettledReceiver<H> {
    const held = new HeldMessages<H>(renewal);
    return {
      handOut: (message, handle) => {
        held.hold(handle);
        this.handles.set(message, { handle, held });
      },
      stop: () => {
        held.stop();
        return held.items();
      },
    };
  }

  /** The handle of a message handed out and not settled yet, now settled; undefined when there is none. */
  settle(message: Message): H | undefined {
    const entry = this.handles.get(message);
    if (entry === undefined) return undefined;
    this.handles.delete(message);
    entry.held.release(entry.handle);
    return entry.handle;
  }

  /** Like `settle`, for brokers that cannot settle an unknown message: says why it cannot (`action`: "acknowledge"). */
  settleOrThrow(message: Message, action: string): H {
    const handle = this.settle(message);
    if (handle !== undefined) return handle;
    throw new PrismError(
      PrismErrorCode.BackendRejected,
      `cannot ${action} message ${message.id} on "${message.topic}": it was not received from this ` +
        "driver's receive(), or it was settled already",
    );
  }
}
