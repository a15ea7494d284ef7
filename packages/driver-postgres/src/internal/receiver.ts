import {
  type Message,
  pollingIterable,
  type UnsettledMessages,
  type UnsettledReceiver,
} from "@prism/consumer-core/driver";
import type { Listener } from "./listener.js";
import type { WorkQueue } from "./work-queue.js";

export interface ReceiverDeps {
  readonly work: WorkQueue;
  readonly listener: Listener;
  readonly pollIntervalMs: number;
  /** The driver's unsettled messages (claimed ones are unclaimed through it when the receive ends). */
  readonly unsettled: UnsettledMessages<Message>;
  /** Claimed messages stay invisible to others until settled (or unclaimed) while this receive runs. */
  readonly receiver: UnsettledReceiver<Message>;
  /** Turns node-postgres errors into `PrismError`s, so lost connections are retried and the rest end it. */
  readonly mapError: (error: unknown) => Error;
}

/**
 * The messages of `queue` as they become ready, until `signal` aborts. Each fetch claims a batch; when
 * nothing is ready it waits for a NOTIFY for this queue or the poll interval, whichever comes first.
 * Claimed messages are held (kept invisible) until settled; those not yet handed out when the iteration
 * ends are made ready again at once.
 */
export function receiveMessages(
  queue: string,
  signal: AbortSignal,
  deps: ReceiverDeps,
): AsyncIterable<Message> {
  return pollingIterable<Message>({
    signal,
    fetch: async (fetchSignal) => {
      if (fetchSignal.aborted) return [];
      await deps.listener.ensureListening();
      let wake: () => void = () => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const stopListening = deps.listener.onNotify(queue, wake);
      try {
        const claimed = await deps.work.claim(queue).catch((error) => {
          throw deps.mapError(error);
        });
        if (fetchSignal.aborted) {
          await deps.work.unclaim(claimed).catch(() => {});
          return [];
        }
        if (claimed.length > 0) {
          for (const message of claimed) deps.receiver.handOut(message, message);
          return claimed;
        }
        await waitFor(woken, deps.pollIntervalMs, fetchSignal);
        return [];
      } finally {
        stopListening();
      }
    },
    release: async (untaken) => {
      deps.receiver.stop();
      for (const message of untaken) deps.unsettled.settle(message);
      // Best effort: what stays hidden comes back anyway once its visibility timeout passes.
      await deps.work.unclaim(untaken).catch(() => {});
    },
  });
}

/** Resolves when `woken` does, after `ms`, or when `signal` aborts, whichever is first. */
function waitFor(woken: Promise<void>, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    void woken.then(done);
  });
}
