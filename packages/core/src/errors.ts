/** Every error code Prism throws; `PrismErrorCode` is the union of these. */
export const PrismErrorCode = {
  /** A driver bound to a slot lacks methods of the slot's interface. */
  SlotBinding: "SLOT_BINDING",
  /** A configuration value is missing or invalid. */
  ConfigInvalid: "CONFIG_INVALID",
  /** A slot names a driver that is not in the driver map. */
  UnknownDriver: "UNKNOWN_DRIVER",
  /** A method was called in the wrong lifecycle state (e.g. `start()` before `setProcessor()`). */
  Lifecycle: "LIFECYCLE",
  /** A backend could not be reached or dropped the connection; usually retryable. */
  BackendUnavailable: "BACKEND_UNAVAILABLE",
  /** A backend refused the operation (auth, permissions, bad request); not retryable. */
  BackendRejected: "BACKEND_REJECTED",
  /** A message failed every attempt and could not be dead-lettered. */
  DeliveryFailed: "DELIVERY_FAILED",
  /** The message source ended while the consumer was still running. */
  SourceClosed: "SOURCE_CLOSED",
  /** A driver could not convert a record into a message; it goes to `on_exhausted` unprocessed. */
  MessageUnconvertible: "MESSAGE_UNCONVERTIBLE",
  /** Stored consumer state could not be decoded. */
  StateCorrupt: "STATE_CORRUPT",
  /** Work was abandoned because its `AbortSignal` fired. */
  Aborted: "ABORTED",
  /** An attempt ran past `processingTimeout`; retryable. */
  TimedOut: "TIMED_OUT",
} as const;
export type PrismErrorCode = (typeof PrismErrorCode)[keyof typeof PrismErrorCode];

// A registry-wide symbol, so errors from another installed copy of core are still recognised.
const brand = Symbol.for("@prism/consumer-core/error");

export interface PrismErrorOptions extends ErrorOptions {
  /** Whether trying again may succeed. Defaults per code (only BACKEND_UNAVAILABLE is retryable). */
  retryable?: boolean;
}

export class PrismError extends Error {
  override name = "PrismError";
  readonly code: PrismErrorCode;
  readonly retryable: boolean;
  readonly [brand] = true;

  constructor(code: PrismErrorCode, message: string, options: PrismErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable =
      options.retryable ?? (code === PrismErrorCode.BackendUnavailable || code === PrismErrorCode.TimedOut);
  }
}

/** One problem found in a configuration, located by its path (e.g. `behavior.max_retries`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Thrown at load time with every problem in the configuration, not just the first. */
export class ConfigError extends PrismError {
  override name = "ConfigError";
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], source?: string) {
    const where = source ? ` in ${source}` : "";
    const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`).join("\n");
    super(PrismErrorCode.ConfigInvalid, `invalid consumer configuration${where}:\n${lines}`);
    this.issues = issues;
  }
}

/** Thrown by `bindSlots` when a driver does not implement the interface its slot requires. */
export class SlotBindingError extends PrismError {
  override name = "SlotBindingError";

  constructor(
    readonly slot: string,
    readonly driver: string,
    readonly expected: string,
    readonly missing: readonly string[],
  ) {
    const detail = missing.length > 0 ? ` (missing: ${missing.join(", ")})` : "";
    super(PrismErrorCode.SlotBinding, `${slot}: driver "${driver}" does not implement ${expected}${detail}`);
  }
}

/**
 * An error a processor throws to say "retrying will not help" (a malformed payload, a business rule):
 * the consumer skips the remaining attempts and dead-letters the message at once.
 */
export class PermanentError extends Error {
  override name = "PermanentError";
  readonly retryable = false;
}

/** True for any error created by any installed copy of `@prism/consumer-core`. */
export function isPrismError(value: unknown): value is PrismError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** False when the error says retrying cannot help (`retryable: false`), true otherwise. */
export function isRetryable(error: unknown): boolean {
  if (typeof error === "object" && error !== null && "retryable" in error) {
    return (error as { retryable: unknown }).retryable !== false;
  }
  return true;
}

/** Socket-level failure codes: the server is down, restarting, unreachable, or dropped the connection. */
const networkErrorCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * True when `error` (or its `cause`, or any error of an `AggregateError` — Node's dual-stack connect
 * throws one) is a socket-level failure. For drivers classifying their client's errors as retryable.
 */
export function isNetworkError(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 5) return false;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string" && networkErrorCodes.has(code)) return true;
  if (Array.isArray(errors) && errors.some((inner) => isNetworkError(inner, depth + 1))) return true;
  return isNetworkError(cause, depth + 1);
}

/**
 * A client's error as the `PrismError` the consumer acts on: BACKEND_UNAVAILABLE (retryable) when
 * `unavailable` says the server is down or passing through a state, BACKEND_REJECTED (not retryable)
 * otherwise, so an unknown failure surfaces instead of being retried forever. A `PrismError` passes
 * unchanged. `message` says what failed, e.g. `redis XADD "orders" failed`; the cause's text is added.
 */
export function backendError(error: unknown, unavailable: boolean, message: string): PrismError {
  if (isPrismError(error)) return error;
  const code = unavailable ? PrismErrorCode.BackendUnavailable : PrismErrorCode.BackendRejected;
  return new PrismError(code, `${message}: ${describeError(error)}`, {
    cause: error,
    retryable: unavailable,
  });
}

/** A readable one-line description of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
