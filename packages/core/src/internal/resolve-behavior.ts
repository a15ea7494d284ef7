import type { BehaviorConfig, ExhaustedAction, Ordering } from "../config.js";
import { parseDuration } from "../duration.js";
import type { FilterRule } from "../filter.js";
import type { PayloadFormat } from "../payload.js";
import { defaultRetryPolicy, type RetryPolicy } from "../retry-policy.js";

/** Behavior with every default applied and durations in milliseconds. */
export interface ResolvedBehavior {
  readonly consumerGroup: string;
  readonly topic: string;
  readonly retry: RetryPolicy;
  readonly batchSize: number;
  readonly batchMaxWaitMs: number;
  readonly concurrency: number;
  readonly ordering: Ordering;
  readonly autoCommit: boolean;
  readonly commitIntervalMs: number;
  /** Undefined means "decided when slots are bound": dead-letter with a DLQ, stop without. */
  readonly onExhausted: ExhaustedAction | undefined;
  readonly deadLetterTopic: string;
  readonly retryTopic:
    | { readonly topic: string; readonly delayMs: number; readonly maxRounds: number }
    | undefined;
  readonly shutdownTimeoutMs: number;
  /** 0: attempts have no deadline. */
  readonly processingTimeoutMs: number;
  readonly filter: FilterRule | undefined;
  readonly deduplicate: { readonly windowMs: number; readonly by: string | undefined } | undefined;
  readonly payloadFormat: PayloadFormat | undefined;
  readonly transactional: boolean;
}

/** Applies defaults to an already validated behavior section. */
export function resolveBehavior(behavior: BehaviorConfig): ResolvedBehavior {
  const ms = (value: BehaviorConfig["commitInterval"], fallback: number) =>
    value === undefined ? fallback : (parseDuration(value) ?? fallback);
  const backoff = behavior.retryBackoff ?? {};
  return {
    consumerGroup: behavior.consumerGroup,
    topic: behavior.topic,
    retry: {
      maxRetries: behavior.maxRetries ?? defaultRetryPolicy.maxRetries,
      initialBackoffMs: ms(backoff.initial, defaultRetryPolicy.initialBackoffMs),
      maxBackoffMs: ms(backoff.max, defaultRetryPolicy.maxBackoffMs),
      multiplier: backoff.multiplier ?? defaultRetryPolicy.multiplier,
      jitter: backoff.jitter ?? defaultRetryPolicy.jitter,
    },
    batchSize: behavior.batchSize ?? 0,
    batchMaxWaitMs: ms(behavior.batchMaxWait, 100),
    concurrency: behavior.concurrency ?? 1,
    ordering: behavior.ordering ?? "none",
    autoCommit: behavior.autoCommit ?? true,
    commitIntervalMs: ms(behavior.commitInterval, 5000),
    onExhausted: behavior.onExhausted,
    deadLetterTopic: behavior.deadLetterTopic ?? `${behavior.topic}.dlq`,
    retryTopic: behavior.retryTopic && {
      topic: behavior.retryTopic.topic ?? `${behavior.topic}.retry`,
      delayMs: ms(behavior.retryTopic.delay, 0),
      maxRounds: behavior.retryTopic.maxRounds ?? 3,
    },
    shutdownTimeoutMs: ms(behavior.shutdownTimeout, 30_000),
    processingTimeoutMs: ms(behavior.processingTimeout, 30_000),
    filter: behavior.filter,
    deduplicate: behavior.deduplicate && {
      windowMs: ms(behavior.deduplicate.window, 0),
      by: behavior.deduplicate.key,
    },
    payloadFormat: behavior.payloadFormat,
    transactional: behavior.transactional ?? false,
  };
}
