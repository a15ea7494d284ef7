// OpenTelemetry for Prism consumers: `traceConsumer` and `meterConsumer` instrument a consumer through its
// middleware and events; `traceDriver` makes a driver's publish/enqueue carry the trace context.
export { Attr, instrumentationScope } from "./attributes.js";
export type { ConsumerMetricsOptions } from "./consumer-metrics.js";
export { meterConsumer } from "./consumer-metrics.js";
export type { InstrumentableConsumer } from "./consumer-surface.js";
export type { ConsumerTracingOptions } from "./consumer-tracing.js";
export { traceConsumer } from "./consumer-tracing.js";
export type { TraceContextPropagator } from "./propagation.js";
export { extractTraceContext, injectTraceContext } from "./propagation.js";
export type { TracedDriverOptions } from "./traced-driver.js";
export { traceDriver } from "./traced-driver.js";
