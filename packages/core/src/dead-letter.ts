import type { Message, Metadata } from "./message.js";

/** Metadata keys the consumer adds to a dead-lettered message (its own metadata is kept too). */
export const DeadLetterKey = {
  OriginalTopic: "prism-original-topic",
  OriginalId: "prism-original-id",
  /** The last attempt's error message. */
  Error: "prism-error",
  /** Attempts made, as a decimal string. */
  Attempts: "prism-attempts",
  /** Epoch milliseconds, as decimal strings. */
  FirstFailureAt: "prism-first-failure-at",
  LastFailureAt: "prism-last-failure-at",
  ConsumerName: "prism-consumer-name",
  ConsumerGroup: "prism-consumer-group",
  /** For payloads that failed to decode or validate: the schema's issues, as JSON `[{ message, path }]`. */
  ValidationIssues: "prism-validation-issues",
} as const;
export type DeadLetterKey = (typeof DeadLetterKey)[keyof typeof DeadLetterKey];

/** One problem a payload schema found: what, and where in the payload (property keys and indexes). */
export interface ValidationIssue {
  readonly message: string;
  readonly path?: readonly (string | number)[];
}

/** Why and when a message failed for good. */
export interface FailureRecord {
  readonly error: string;
  readonly attempts: number;
  readonly firstFailureAt: number;
  readonly lastFailureAt: number;
  /** Set when the payload did not decode or validate. */
  readonly issues?: readonly ValidationIssue[];
}

const maxErrorLength = 1024;

export function deadLetterMetadata(
  message: Message,
  failure: FailureRecord,
  consumer: { readonly name: string; readonly group: string },
): Metadata {
  // One line, bounded: header-based backends (NATS, Kafka) reject or mangle long multi-line values.
  const oneLine = failure.error.replace(/\s*[\r\n]+\s*/g, " ");
  const error = oneLine.length > maxErrorLength ? `${oneLine.slice(0, maxErrorLength)}…` : oneLine;
  // A message from a retry topic already names where it came from and when it first failed.
  const earlier = message.metadata;
  return {
    ...message.metadata,
    [DeadLetterKey.OriginalTopic]: earlier[DeadLetterKey.OriginalTopic] ?? message.topic,
    [DeadLetterKey.OriginalId]: earlier[DeadLetterKey.OriginalId] ?? message.id,
    [DeadLetterKey.Error]: error,
    [DeadLetterKey.Attempts]: String(failure.attempts),
    [DeadLetterKey.FirstFailureAt]: earlier[DeadLetterKey.FirstFailureAt] ?? String(failure.firstFailureAt),
    [DeadLetterKey.LastFailureAt]: String(failure.lastFailureAt),
    [DeadLetterKey.ConsumerName]: consumer.name,
    [DeadLetterKey.ConsumerGroup]: consumer.group,
    ...(failure.issues && { [DeadLetterKey.ValidationIssues]: issuesText(failure.issues) }),
  };
}

/** The issues as one line of JSON, cut to whole issues within the header-safe length. */
function issuesText(issues: readonly ValidationIssue[]): string {
  const kept: ValidationIssue[] = [];
  for (const issue of issues) {
    const next = JSON.stringify([...kept, issue]);
    if (next.length > maxErrorLength) break;
    kept.push(issue);
  }
  return JSON.stringify(kept);
}
