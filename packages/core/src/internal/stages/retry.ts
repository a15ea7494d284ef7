import { describeError, isPrismError, isRetryable, PrismErrorCode } from "../../errors.js";
import type { Delivery, Handler, Middleware } from "../../middleware.js";
import { backoffDelay, type RetryPolicy } from "../../retry-policy.js";
import { isPromiseLike, sleep } from "../async.js";
import type { EventHub } from "../event-hub.js";
import { Abandoned, Exhausted } from "../outcomes.js";
import { nextAttempt } from "../pipeline-delivery.js";

export interface RetryStageOptions {
  readonly policy: RetryPolicy;
  readonly random: () => number;
  readonly hub: EventHub;
  /** Aborted when stop() runs out of patience: no more attempts, the delivery is abandoned. */
  readonly workSignal: AbortSignal;
  readonly recordError: (error: unknown) => void;
}

/**
 * Attempts with exponential backoff and jitter: `maxAttempts` in all, fewer when an error says it is not
 * retryable (`PermanentError`). A delivery that fails the last one ends with `Exhausted` (for the
 * dead-letter stage). The first attempt runs without a promise of its own when the handler is synchronous.
 */
export function retry(o: RetryStageOptions): Middleware {
  const { hub } = o;
  return (next) => (delivery) => {
    const startedAt = hub.timed ? performance.now() : 0;
    let result: void | Promise<void>;
    try {
      result = next(delivery);
    } catch (error) {
      return retryAfter(next, delivery, error, startedAt, o);
    }
    if (isPromiseLike(result)) {
      return result.then(
        () => hub.processed(delivery, 1, startedAt),
        (error: unknown) => retryAfter(next, delivery, error, startedAt, o),
      );
    }
    hub.processed(delivery, 1, startedAt);
  };
}

async function retryAfter(
  next: Handler,
  first: Delivery,
  firstError: unknown,
  firstStartedAt: number,
  o: RetryStageOptions,
): Promise<void> {
  const { hub, workSignal } = o;
  const firstFailureAt = Date.now();
  let error = firstError;
  let startedAt = firstStartedAt;
  for (let attempt = 1; ; attempt++) {
    if (workSignal.aborted) throw new Abandoned();
    const timedOut = isPrismError(error) && error.code === PrismErrorCode.TimedOut;
    hub.failed(first.messages, attempt, error, timedOut, startedAt);
    o.recordError(error);
    if (attempt >= first.maxAttempts || !isRetryable(error)) {
      const failure = {
        error: describeError(error),
        attempts: attempt,
        firstFailureAt,
        lastFailureAt: Date.now(),
      };
      throw new Exhausted(failure, error);
    }
    const delayMs = backoffDelay(o.policy, attempt, o.random);
    hub.retrying(first.messages, attempt + 1, delayMs, error);
    if (!(await sleep(delayMs, workSignal))) throw new Abandoned();
    startedAt = hub.timed ? performance.now() : 0;
    try {
      await next(nextAttempt(first, attempt + 1));
      hub.processed(first, attempt + 1, startedAt);
      return;
    } catch (failure) {
      error = failure;
    }
  }
}
