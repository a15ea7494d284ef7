import { findErrorBy } from "@platformatic/kafka";
import { backendError, type PrismError } from "@prism/consumer-core/driver";

/** Codes of @platformatic/kafka's errors that are always about the connection. */
const unavailableCodes = new Set(["PLT_KFK_NETWORK", "PLT_KFK_TIMEOUT"]);

/**
 * Maps a @platformatic/kafka error to a `PrismError`: lost or refused connections, timeouts and broker
 * errors the client marks retriable (leader elections, coordinator moves, a rebalance) are
 * `BACKEND_UNAVAILABLE` and retryable; failed authentication, authorization and invalid requests are
 * `BACKEND_REJECTED`. The client nests errors (`MultipleErrors`); any authentication failure inside wins.
 */
export function mapPlatformaticError(error: unknown, action: string): PrismError {
  const unavailable = isUnavailable(error);
  return backendError(error, unavailable, `kafka: ${action} failed`);
}

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (findErrorBy(error, "code", "PLT_KFK_AUTHENTICATION")) return false;
  if (/AUTHORIZATION|SASL/.test(String(findErrorBy(error, "canRetry", false)?.apiId ?? ""))) return false;
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested) && nested.length > 0) return nested.every(isUnavailable);
  const { code, canRetry } = error as { code?: unknown; canRetry?: unknown };
  return (typeof code === "string" && unavailableCodes.has(code)) || canRetry === true;
}
