import { backendError, isNetworkError, type PrismError } from "@prism/consumer-core/driver";

/**
 * Redis error replies (their first word) that describe a passing server state — loading its dataset, a
 * failover, a busy script, memory pressure, a blocked read cut short — rather than a bad request.
 */
const transientReplies = new Set([
  "LOADING",
  "BUSY",
  "TRYAGAIN",
  "MASTERDOWN",
  "CLUSTERDOWN",
  "READONLY",
  "OOM",
  "UNBLOCKED",
]);

/** ioredis's own errors for a connection that is closed, reconnecting or gave up on a command. */
const transientClientMessages = [
  /^Connection is closed/,
  /^Stream isn't writeable/,
  /^Command timed out/,
  /^Reached the max retries per request limit/,
];

/**
 * Whether an ioredis error means "the backend is unavailable, try again" (lost or refused connection,
 * a restarting server) as opposed to "the backend refused this" (auth, permissions, wrong type, syntax).
 */
export function isTransientRedisError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "MaxRetriesPerRequestError") return true;
  if (isNetworkError(error)) return true;
  if (error.name === "ReplyError") {
    const word = error.message.split(" ", 1)[0] ?? "";
    return transientReplies.has(word) || /max number of clients reached/i.test(error.message);
  }
  return transientClientMessages.some((pattern) => pattern.test(error.message));
}

/**
 * Maps anything ioredis throws to a `PrismError`: BACKEND_UNAVAILABLE (retryable) for lost, refused or
 * closed connections and transient server states; BACKEND_REJECTED (not retryable) for everything else —
 * NOAUTH, WRONGPASS, NOPERM, WRONGTYPE, syntax errors — so an unknown failure surfaces instead of being
 * retried forever. `action` says what was attempted, e.g. `XADD "orders"`. Prism errors pass unchanged.
 */
export function mapRedisError(error: unknown, action: string): PrismError {
  return backendError(error, isTransientRedisError(error), `redis ${action} failed`);
}
