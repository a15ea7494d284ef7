/**
 * Span and metric attribute names: the OpenTelemetry messaging semantic conventions where they define one,
 * `prism.*` for what only the consumer pattern has (attempts, outcomes).
 */
export const Attr = {
  System: "messaging.system",
  Destination: "messaging.destination.name",
  Partition: "messaging.destination.partition.id",
  OperationType: "messaging.operation.type",
  OperationName: "messaging.operation.name",
  ConsumerGroup: "messaging.consumer.group.name",
  ClientId: "messaging.client.id",
  MessageId: "messaging.message.id",
  BatchCount: "messaging.batch.message_count",
  ErrorType: "error.type",
  ConsumerName: "prism.consumer.name",
  /** 1 for the first attempt, up to `prism.delivery.max_attempts`. */
  Attempt: "prism.delivery.attempt",
  MaxAttempts: "prism.delivery.max_attempts",
  /** How often the broker has delivered the message (its `deliveryAttempt`). */
  BrokerDeliveries: "prism.delivery.broker_count",
  /** processed, failed, filtered, deduplicated, dead-lettered, dropped. */
  Outcome: "prism.outcome",
  TimedOut: "prism.timed_out",
  FailureReason: "prism.failure.reason",
} as const;
export type Attr = (typeof Attr)[keyof typeof Attr];

/** The name spans and meters are created under (the instrumentation scope). */
export const instrumentationScope = "@prism/opentelemetry";
