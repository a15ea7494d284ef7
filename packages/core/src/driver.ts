// "@prism/consumer-core/driver": what a driver author needs — the slot interfaces, the optional
// capabilities and their guards, the receive-loop helpers every driver would otherwise write again, and
// the error types to map a client's errors to. Applications import "@prism/consumer-core".
export { bytesEqual } from "./bytes.js";
export type {
  AcknowledgedSubscriptions,
  BatchAcknowledgement,
  BrowsableQueue,
  BrowseOptions,
  BufferedIterator,
  Closable,
  CompareAndSetStore,
  DriverHealth,
  HealthReporting,
  LagReporting,
  PartitionedSource,
  ResumableSource,
} from "./capabilities.js";
export {
  isAcknowledgedSubscriptions,
  isBatchAcknowledgement,
  isBrowsableQueue,
  isBufferedIterator,
  isClosable,
  isCompareAndSetStore,
  isHealthReporting,
  isLagReporting,
  isPartitionedSource,
  isResumableSource,
} from "./capabilities.js";
export { coalescer } from "./coalescer.js";
export type { DriverContext, DriverFactories, DriverFactory, SlotDriver } from "./drivers.js";
export type { Duration } from "./duration.js";
export { formatDuration, maxDurationMs, parseDuration, timerLimitProblem } from "./duration.js";
export type { ConfigIssue, PrismErrorOptions } from "./errors.js";
export {
  backendError,
  ConfigError,
  describeError,
  isNetworkError,
  isPrismError,
  isRetryable,
  PermanentError,
  PrismError,
  PrismErrorCode,
} from "./errors.js";
export type { HeldMessagesOptions } from "./held-messages.js";
export { HeldMessages } from "./held-messages.js";
export type {
  CheckpointLookup,
  GroupChange,
  KeyValueBasicInterface,
  PubSubInterface,
  QueueInterface,
  ReceiveOptions,
  SubscribeOptions,
} from "./interfaces.js";
export type { KafkaOptions, KafkaSaslMechanism, ResolvedKafkaOptionFields } from "./kafka-options.js";
export { checkKafkaClientChoice, kafkaOptionFields, resolveKafkaOptionFields } from "./kafka-options.js";
export type { Logger } from "./logger.js";
export { consoleLogger, redactUrl, silentLogger } from "./logger.js";
export type { Message, Metadata, Offset, Position } from "./message.js";
export { compareOffsets } from "./offsets.js";
export type {
  JsonSchema,
  KeyStyle,
  OptionField,
  OptionsOf,
  OptionsSchema,
  OptionType,
  ReadOptions,
  Resolved,
} from "./options.js";
export { defineOptions, option, show } from "./options.js";
export type { HandedMessage, PartitionHandoverOptions } from "./partition-handover.js";
export { PartitionHandover } from "./partition-handover.js";
export type { PartitionEnds } from "./partition-lag.js";
export { partitionLag } from "./partition-lag.js";
export { PartitionProgress } from "./partition-progress.js";
export type { PartitionReader, PartitionReaderContext } from "./partition-readers.js";
export { PartitionReaders } from "./partition-readers.js";
export type { PartitionedLogSettings, ReaderContext } from "./partitioned-log-driver.js";
export { PartitionedLogDriver } from "./partitioned-log-driver.js";
export type { PollingOptions } from "./polling-iterable.js";
export { pollingIterable } from "./polling-iterable.js";
export type { PushChannel } from "./push-channel.js";
export { pushChannel } from "./push-channel.js";
export type { ReconnectBackoff } from "./reconnect-backoff.js";
export { reconnectDelay, waitBeforeRetry } from "./reconnect-backoff.js";
export { addRecordHeader, BASE64_SUFFIX, KAFKA_KEY, recordId } from "./record-headers.js";
export type { SubscribedMember } from "./subscription-assignment.js";
export { assignBySubscription } from "./subscription-assignment.js";
export type { StateTransaction, TransactionalState } from "./transactional-state.js";
export { isTransactionalState } from "./transactional-state.js";
export type { UnsettledReceiver } from "./unsettled-messages.js";
export { UnsettledMessages } from "./unsettled-messages.js";
