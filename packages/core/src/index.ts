// The application's surface: build, configure, run and watch a consumer. What a driver author needs
// (the receive-loop helpers, capabilities, error mapping) is in "@prism/consumer-core/driver".
export type { DriverHealth } from "./capabilities.js";
export type {
  BehaviorConfig,
  ConsumerConfig,
  DeduplicateConfig,
  RetryBackoffConfig,
  RetryTopicConfig,
  SlotBinding,
  SlotsConfig,
} from "./config.js";
export { ExhaustedAction, Ordering, SourceInterface } from "./config.js";
export type { KeyStyle } from "./config-validation.js";
export {
  consumerConfigJsonSchema,
  maxRetriesLimit,
  validateBehavior,
  validateConfig,
} from "./config-validation.js";
export type { LoadConfigOptions } from "./config-yaml.js";
export { loadConfigFile, parseConfigYaml } from "./config-yaml.js";
export type { ConsumerBindOptions, ConsumerOptions } from "./consumer.js";
export { Consumer } from "./consumer.js";
export type { FailureRecord, ValidationIssue } from "./dead-letter.js";
export { DeadLetterKey, deadLetterMetadata } from "./dead-letter.js";
export type { CreateConsumerOptions, DriverContext, DriverFactories, DriverFactory } from "./drivers.js";
export { createConsumer } from "./drivers.js";
export type { Duration } from "./duration.js";
export { formatDuration, maxDurationMs, parseDuration, timerLimitProblem } from "./duration.js";
export type { ConfigIssue, PrismErrorOptions } from "./errors.js";
export {
  ConfigError,
  describeError,
  isPrismError,
  isRetryable,
  PermanentError,
  PrismError,
  PrismErrorCode,
  SlotBindingError,
} from "./errors.js";
export type {
  ConsumerEventListener,
  ConsumerEventMap,
  ConsumerEventName,
  ConsumerEvents,
} from "./events.js";
export type { FilterPredicate, FilterRule } from "./filter.js";
export type {
  ConsumerCounters,
  ConsumerHealth,
  GroupChangeRecord,
  MembershipHealth,
} from "./health.js";
export { ConsumerStatus } from "./health.js";
export type {
  CheckpointLookup,
  GroupChange,
  KeyValueBasicInterface,
  PubSubInterface,
  QueueInterface,
  ReceiveOptions,
  SubscribeOptions,
} from "./interfaces.js";
export type { FieldsFirstLogger, Logger } from "./logger.js";
export { consoleLogger, fieldsFirstLogger, redactUrl, silentLogger } from "./logger.js";
export type { Message, Metadata, Offset, Position } from "./message.js";
export type { ConsumerIdentity, Delivery, Handler, Middleware } from "./middleware.js";
export { MiddlewareStage } from "./middleware.js";
export type { DecodedMessage, PayloadDecoding } from "./payload.js";
export { PayloadFormat } from "./payload.js";
export type { PluginDefinition, PluginOptions } from "./plugin.js";
export { ConsumerPlugin } from "./plugin.js";
export type { BatchProcessor, MessageProcessor, ProcessContext, ProcessedMessage } from "./processor.js";
export { RetryTopicKey } from "./retry-topic.js";
export type { BindSlotsOptions, BoundSlots, BoundSource, SlotDrivers } from "./slots.js";
export { bindSlots } from "./slots.js";
export type { ConsumerState } from "./state.js";
export { decodeState, encodeState, stateKey } from "./state.js";
export type { StateTransaction, TransactionalState } from "./transactional-state.js";
export { isTransactionalState } from "./transactional-state.js";
