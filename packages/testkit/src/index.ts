export type { KeyValueFeatures, PubSubFeatures, QueueFeatures } from "./features.js";
export type { ConformanceHarness, CreatedNames } from "./harness.js";
export type { KeyValueConformanceOptions } from "./key-value-conformance.js";
export { describeKeyValueConformance } from "./key-value-conformance.js";
export type { PubSubConformanceOptions } from "./pubsub-conformance.js";
export { describePubSubConformance } from "./pubsub-conformance.js";
export type { QueueConformanceOptions } from "./queue-conformance.js";
export { describeQueueConformance } from "./queue-conformance.js";
