import type { FailureRecord, ValidationIssue } from "../dead-letter.js";
import {
  describeError,
  PermanentError,
  PrismError,
  PrismErrorCode,
  type PrismErrorOptions,
} from "../errors.js";

/** A delivery failed every attempt it was allowed (or a permanent error ended them): give it up. */
export class Exhausted extends Error {
  override name = "Exhausted";
  constructor(
    readonly failure: FailureRecord,
    override readonly cause: unknown,
  ) {
    super(failure.error);
  }
}

/** `stop()` ran out of patience: the delivery is given back unfinished, to be delivered again. */
export class Abandoned extends Error {
  override name = "Abandoned";
  constructor() {
    super("abandoned at shutdown");
  }
}

/** Giving a delivery up failed it for good (`on_exhausted: stop`, or a DLQ that keeps failing): stop. */
export class ConsumerStop extends PrismError {
  constructor(message: string, options?: PrismErrorOptions) {
    super(PrismErrorCode.DeliveryFailed, message, options);
  }
}

/** A payload that did not decode or validate: permanent, with what the schema found. */
export class InvalidPayload extends PermanentError {
  override name = "InvalidPayload";
  constructor(
    message: string,
    readonly issues: readonly ValidationIssue[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The failure record of an error that ended a delivery (outside the retries it counts as one attempt). */
export function failureOf(error: unknown): FailureRecord {
  if (error instanceof Exhausted) {
    return error.cause instanceof InvalidPayload
      ? { ...error.failure, issues: error.cause.issues }
      : error.failure;
  }
  const now = Date.now();
  // A record that could not be converted was never attempted.
  const attempts = error instanceof PrismError && error.code === PrismErrorCode.MessageUnconvertible ? 0 : 1;
  const failure = { error: describeError(error), attempts, firstFailureAt: now, lastFailureAt: now };
  return error instanceof InvalidPayload ? { ...failure, issues: error.issues } : failure;
}
