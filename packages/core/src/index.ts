export type {
  Closable,
  DriverHealth,
  HealthReporting,
  PartitionedSource,
  ResumableSource,
} from "./capabilities.js";
export {
  isClosable,
  isHealthReporting,
  isPartitionedSource,
  isResumableSource,
  missingMethods,
} from "./capabilities.js";
export { coalescer } from "./coalescer.js";
export type {
  BehaviorConfig,
  ConsumerConfig,
  RetryBackoffConfig,
  SlotBinding,
  SlotsConfig,
} from "./config.js";
export { ExhaustedAction, Ordering, SlotName, SourceInterface } from "./config.js";
export type { KeyStyle } from "./config-validation.js";
export { maxRetriesLimit, validateBehavior, validateConfig } from "./config-validation.js";
export type { LoadConfigOptions } from "./config-yaml.js";
export { loadConfigFile, parseConfigYaml } from "./config-yaml.js";
export type { ConsumerBindOptions, ConsumerOptions } from "./consumer.js";
export { Consumer } from "./consumer.js";
export type { FailureRecord } from "./dead-letter.js";
export { DeadLetterKey, deadLetterMetadata } from "./dead-letter.js";
export type { CreateConsumerOptions, DriverContext, DriverFactories, DriverFactory } from "./drivers.js";
export { createConsumer } from "./drivers.js";
export type { Duration } from "./duration.js";
export { formatDuration, maxDurationMs, parseDuration, timerLimitProblem } from "./duration.js";
export type { ConfigIssue, PrismErrorOptions } from "./errors.js";
export {
  ConfigError,
  describeError,
  isNetworkError,
  isPrismError,
  isRetryable,
  PermanentError,
  PrismError,
  PrismErrorCode,
  SlotBindingError,
} from "./errors.js";
export type { ConsumerCounters, ConsumerHealth } from "./health.js";
export { ConsumerStatus } from "./health.js";
export type {
  CheckpointLookup,
  KeyValueBasicInterface,
  PubSubInterface,
  QueueInterface,
  ReceiveOptions,
  SubscribeOptions,
} from "./interfaces.js";
export type { Logger } from "./logger.js";
export { consoleLogger, redactUrl, silentLogger } from "./logger.js";
export type { Message, Metadata, Offset, Position } from "./message.js";
export type { PluginDefinition, PluginOptions } from "./plugin.js";
export { ConsumerPlugin } from "./plugin.js";
export type { PollingOptions } from "./polling-iterable.js";
export { pollingIterable } from "./polling-iterable.js";
export type { BatchProcessor, MessageProcessor, ProcessContext } from "./processor.js";
export type { PushChannel } from "./push-channel.js";
export { pushChannel } from "./push-channel.js";
export type { RetryPolicy } from "./retry-policy.js";
export { backoffDelay, defaultRetryPolicy } from "./retry-policy.js";
export type { BindSlotsOptions, BoundSlots, BoundSource } from "./slots.js";
export { bindSlots } from "./slots.js";
export type { ConsumerState } from "./state.js";
export { decodeState, encodeState, stateKey } from "./state.js";
