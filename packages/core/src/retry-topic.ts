/**
 * Metadata keys of a message on a retry topic (`onExhausted: "retry-topic"`); it also carries the
 * dead-letter keys (`DeadLetterKey`) of its last failure.
 */
export const RetryTopicKey = {
  /** Rounds through the retry topic so far, as a decimal string. */
  Round: "prism-retry-round",
  /** Epoch milliseconds before which the message is not processed again, as a decimal string. */
  Due: "prism-retry-due",
} as const;
export type RetryTopicKey = (typeof RetryTopicKey)[keyof typeof RetryTopicKey];
