import { backendError, isNetworkError, type PrismError } from "@prism/consumer-core/driver";

/** nats.js errors (by `name`, so a second installed copy of the client is recognised) that pass. */
const transientNames = new Set([
  "ConnectionError",
  "ClosedConnectionError",
  "DrainingConnectionError",
  "TimeoutError",
  "NoResponders",
  "ProtocolError",
]);

/** JetStream API and pull status codes that describe a passing state: unavailable, request timeout. */
const transientStatuses = new Set([408, 503]);

/**
 * Whether a nats.js error means "NATS is unavailable, try again" — a refused, lost, closed or draining
 * connection, a timeout, no responders while JetStream restarts — as opposed to "NATS refused this"
 * (authorization, permissions, an invalid subject or name, a missing stream or consumer, bad config).
 */
export function isTransientNatsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (isNetworkError(error)) return true;
  if (transientNames.has(error.name)) return true;
  // A failed request: "connection disconnected"/"closed", or it wraps what went wrong (a timeout, no
  // responders, a permissions violation).
  if (error.name === "RequestError") return error.cause === undefined || isTransientNatsError(error.cause);
  // nats.js reports a JetStream request nobody answered (server restarting, or no stream captures the
  // subject yet) as "jetstream is not enabled" caused by no responders.
  if (error.name === "JetStreamNotEnabled") return isTransientNatsError(error.cause);
  if (error.name === "JetStreamError") return /heartbeats missed/i.test(error.message);
  const status = statusOf(error);
  return status !== undefined && transientStatuses.has(status);
}

/**
 * Maps anything nats.js throws to a `PrismError`: BACKEND_UNAVAILABLE (retryable) for connection trouble
 * and passing server states, BACKEND_REJECTED (not retryable) for everything else, so an unknown failure
 * surfaces instead of being retried forever. `action` says what was attempted, e.g. `publish to
 * "orders.created"`. Prism errors pass unchanged.
 */
export function mapNatsError(error: unknown, action: string): PrismError {
  return backendError(error, isTransientNatsError(error), `NATS ${action} failed`);
}

/** A JetStream API error's `err_code` (e.g. 10059 stream not found), if it is one. */
export function jetStreamErrorCode(error: unknown): number | undefined {
  return isJetStreamApiError(error) ? numberOrUndefined((error as { code?: unknown }).code) : undefined;
}

/** The HTTP-like status of a JetStream API error or of a pull request's status message. */
function statusOf(error: Error): number | undefined {
  if (error.name === "JetStreamStatusError") return numberOrUndefined((error as { code?: unknown }).code);
  if (isJetStreamApiError(error)) return numberOrUndefined((error as { status?: unknown }).status);
  return undefined;
}

function isJetStreamApiError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    /^(JetStreamApiError|StreamNotFoundError|ConsumerNotFoundError)$/.test(error.name)
  );
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}
