/** How failed attempts of one message are retried. */
export interface RetryPolicy {
  /** Retries after the first attempt: a message is tried at most `maxRetries + 1` times. */
  readonly maxRetries: number;
  /** Delay before the first retry, in ms. */
  readonly initialBackoffMs: number;
  /** Upper bound of any delay, in ms. */
  readonly maxBackoffMs: number;
  /** Growth of the delay per retry (2 doubles it). */
  readonly multiplier: number;
  /**
   * Share of the delay that is randomised, 0..1: the delay is drawn uniformly from
   * `[delay × (1 − jitter), delay]`. 0 is deterministic; 1 is "full jitter".
   */
  readonly jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 3,
  initialBackoffMs: 100,
  maxBackoffMs: 30_000,
  multiplier: 2,
  jitter: 0.5,
};

/** The delay before retry number `retry` (1 for the first retry), in ms. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const exponential = policy.initialBackoffMs * policy.multiplier ** Math.max(0, retry - 1);
  const capped = Math.min(policy.maxBackoffMs, exponential);
  return Math.round(capped * (1 - policy.jitter * random()));
}
