import { sleep } from "./internal/async.js";

/** How long to wait between attempts to reach a backend again; every driver uses the same curve. */
export interface ReconnectBackoff {
  /** Before the first retry, in ms. Default 100. */
  readonly initialMs?: number;
  /** The longest wait, in ms. Default 5000. */
  readonly maxMs?: number;
}

/** The wait before retry `attempt` (1 for the first): `initialMs` doubling up to `maxMs`. */
export function reconnectDelay(attempt: number, backoff: ReconnectBackoff = {}): number {
  const initialMs = backoff.initialMs ?? 100;
  const maxMs = backoff.maxMs ?? 5000;
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Waits before retry `attempt`; resolves false at once when `signal` aborts (the reader stopped), so a
 * driver's retry loop never outlives its receive.
 */
export function waitBeforeRetry(
  attempt: number,
  signal: AbortSignal,
  backoff: ReconnectBackoff = {},
): Promise<boolean> {
  return sleep(reconnectDelay(attempt, backoff), signal);
}
