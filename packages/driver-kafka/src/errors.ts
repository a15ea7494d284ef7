import { backendError, type PrismError } from "@prism/consumer-core/driver";

/** Errors kafkajs marks retriable are not always about the connection; these names always are. */
const unavailableNames = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
  "KafkaJSBrokerNotFound",
  "KafkaJSNumberOfRetriesExceeded",
  "KafkaJSLockTimeout",
  "KafkaJSNoBrokerAvailableError",
  // While a restarted broker loads its group metadata; kafkajs gives up after its retries and wraps it
  // in a KafkaJSNonRetriableError.
  "KafkaJSGroupCoordinatorNotFound",
]);

const rejectedNames = new Set([
  "KafkaJSSASLAuthenticationError",
  "KafkaJSNonRetriableError",
  "KafkaJSInvalidTopicName",
]);

/**
 * Maps a kafkajs error to a `PrismError`: lost or refused connections and errors kafkajs calls
 * retriable (leader elections, coordinator moves) are `BACKEND_UNAVAILABLE` and retryable; failed
 * authentication, authorization and invalid requests are `BACKEND_REJECTED`.
 */
export function mapKafkaError(error: unknown, action: string): PrismError {
  const name = (error as { name?: unknown } | undefined)?.name;
  const retriable = (error as { retriable?: unknown } | undefined)?.retriable;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const type = String((error as { type?: unknown } | undefined)?.type ?? "");
  const unavailable =
    (typeof name === "string" && unavailableNames.has(name) && !causeIn(rejectedNames, cause)) ||
    (name === "KafkaJSNonRetriableError" && causeIn(unavailableNames, cause)) ||
    (retriable === true &&
      !(typeof name === "string" && rejectedNames.has(name)) &&
      !/AUTHORIZATION|SASL/.test(type));
  return backendError(error, unavailable, `kafka: ${action} failed`);
}

/**
 * Whether kafkajs's wrapper around the last attempt's error wraps one of `names`: an auth failure stays an
 * auth failure; a coordinator not found yet stays unavailability.
 */
function causeIn(names: ReadonlySet<string>, cause: unknown): boolean {
  const name = (cause as { name?: unknown } | undefined)?.name;
  return typeof name === "string" && names.has(name);
}
