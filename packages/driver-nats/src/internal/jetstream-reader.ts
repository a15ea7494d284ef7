import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import { type Message, PrismError, PrismErrorCode, waitBeforeRetry } from "@prism/consumer-core/driver";
import { mapNatsError } from "../errors.js";
import { Verdict } from "./delivery-order.js";
import { readMetadata } from "./headers.js";

/** Why the durable is opened: to start (or after a consume ended), after one failed, or to reposition it. */
export type OpenReason =
  | { readonly kind: "start" }
  | { readonly kind: "failed"; readonly error: unknown }
  | { readonly kind: "reposition" };

export interface ReaderOptions {
  /** Ends the iteration; messages pulled but not yet handed over are given back (nak). */
  readonly signal: AbortSignal;
  /**
   * The durable to consume from. After a failure the stream or the durable may have to be found or
   * created again; `reposition` follows an `inspect` verdict.
   */
  readonly open: (reason: OpenReason) => Promise<Consumer>;
  /** Messages pulled ahead. */
  readonly batch: number;
  readonly isConnectionClosed: () => boolean;
  /** For errors, e.g. `subscription to "orders" (group "g")`. */
  readonly description: string;
  /**
   * Decides, before hand-over, whether a message is handed over, dropped (it acknowledges those itself),
   * or makes the reader stop this consume and open the durable again with `reposition`. Without it every
   * message is handed over.
   */
  readonly inspect?: (jsMsg: JsMsg) => Verdict;
  /**
   * Called as each message is handed to the caller (pub/sub acknowledges here; a queue keeps it);
   * returns the message to hand over.
   */
  readonly handOver: (jsMsg: JsMsg, message: Message) => Message;
  /** Told about each failure that is retried (the connection is down, the durable is gone…). */
  readonly onRetry: (error: PrismError) => void;
}

/**
 * Reads a durable consumer with nats.js `consume()` as an async iterable of `Message`s. nats.js rides out
 * reconnects itself; when the consume ends with an error (the durable or stream was deleted, a request
 * failed) it is opened again with backoff, so the iteration keeps delivering across server restarts.
 * Errors that retrying cannot fix end the iteration by throwing a `PrismError`.
 */
export async function* readDurable(options: ReaderOptions): AsyncGenerator<Message, void, undefined> {
  const { signal } = options;
  let failures = 0;
  let reason: OpenReason = { kind: "start" };
  while (!signal.aborted) {
    let messages: ConsumerMessages;
    try {
      const consumer = await options.open(reason);
      messages = await consumer.consume({
        max_messages: options.batch,
        expires: pullExpiresMs,
        abort_on_missing_resource: true,
      });
    } catch (error) {
      failures++;
      reason = { kind: "failed", error };
      if (!(await retryLater(error, failures, options))) return;
      continue;
    }
    const stop = () => messages.stop();
    signal.addEventListener("abort", stop, { once: true });
    if (signal.aborted) stop();
    const pulled = messages[Symbol.asyncIterator]();
    reason = { kind: "start" };
    try {
      for (;;) {
        const next = await pulled.next();
        if (next.done) break;
        // After an abort nats.js still yields what it had buffered: give it back for others to take.
        if (signal.aborted) {
          next.value.nak(pullExpiresMs);
          continue;
        }
        failures = 0;
        const verdict = options.inspect?.(next.value) ?? Verdict.Deliver;
        if (verdict === Verdict.Skip) continue;
        if (verdict === Verdict.Reposition) {
          // Nothing of this consume is handed over any more (the rest is given back below).
          next.value.nak();
          reason = { kind: "reposition" };
          break;
        }
        yield options.handOver(next.value, toMessage(next.value));
      }
    } catch (error) {
      failures++;
      reason = { kind: "failed", error };
      if (!(await retryLater(error, failures, options))) return;
      continue;
    } finally {
      signal.removeEventListener("abort", stop);
      await giveBack(messages, pulled);
    }
    if (signal.aborted) return;
    if (reason.kind === "reposition") continue;
    if (options.isConnectionClosed()) {
      throw new PrismError(
        PrismErrorCode.BackendUnavailable,
        `NATS ${options.description} ended: the connection is closed (reconnect attempts exhausted?)`,
      );
    }
    // Ended without an error while the connection is open: consume again.
  }
}

/**
 * The JetStream message as a `Message`: the stream sequence is its id and its position. Headers that
 * cannot be read make it unconvertible (`conversionError`): thrown here, it would come back forever.
 */
export function toMessage(jsMsg: JsMsg): Message {
  const sequence = jsMsg.info.streamSequence;
  const { metadata, problem } = readMetadata(() => jsMsg.headers);
  const message: Message = {
    id: String(sequence),
    topic: jsMsg.subject,
    payload: jsMsg.data,
    metadata,
    timestamp: Number(jsMsg.timestampNanos / 1_000_000n),
    position: { partition: "0", offset: sequence },
    deliveryAttempt: jsMsg.info.deliveryCount,
  };
  return problem ? { ...message, conversionError: `NATS message ${sequence}: ${problem}` } : message;
}

/**
 * Stops the consume and naks what it had pulled but not handed over, so it is delivered again (to any
 * member) once this consume's last pull has expired, not after `ack_wait`.
 */
async function giveBack(messages: ConsumerMessages, pulled: AsyncIterator<JsMsg>): Promise<void> {
  messages.stop();
  try {
    for (;;) {
      const next = await pulled.next();
      if (next.done) return;
      next.value.nak(pullExpiresMs);
    }
  } catch {
    // The consume ended with an error; nothing more is buffered.
  }
}

/**
 * How long one pull request of a consume stays open. nats.js cannot withdraw a pull when it stops: the
 * server keeps sending into it (to nobody) until it expires, and a message that lands there waits
 * `ack_wait` (30 s by default) to come back. What a stopping reader gives back is therefore made
 * available again only once such a pull has expired.
 */
const pullExpiresMs = 2000;

/**
 * Waits before the next attempt when `error` is worth retrying; throws it (mapped) when it is not.
 * A deleted durable or stream is worth retrying: the next `open` creates it again (or says why not).
 * Resolves false when the iteration was aborted meanwhile.
 */
async function retryLater(error: unknown, failures: number, options: ReaderOptions): Promise<boolean> {
  if (options.signal.aborted) return false;
  const mapped = mapNatsError(error, options.description);
  if (!mapped.retryable && !isMissingResource(error)) throw mapped;
  if (options.isConnectionClosed()) throw mapped;
  options.onRetry(mapped);
  return waitBeforeRetry(failures, options.signal);
}

/** The durable or its stream was deleted (pull status 409 "Consumer Deleted", or "… not found"). */
export function isMissingResource(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === "ConsumerNotFoundError" ||
    error.name === "StreamNotFoundError" ||
    /consumer (was )?deleted|consumer not found|stream not found/i.test(error.message)
  );
}
