import type { Attributes, MeterProvider } from "@opentelemetry/api";
import { metrics } from "@opentelemetry/api";
import { describeError, type Logger, silentLogger } from "@prism/consumer-core";
import { isLagReporting } from "@prism/consumer-core/driver";
import { Attr, instrumentationScope } from "./attributes.js";
import type { InstrumentableConsumer } from "./consumer-surface.js";
import { LagPoller } from "./internal/lag-poller.js";

export interface ConsumerMetricsOptions {
  /** Default: the global meter provider. */
  readonly meterProvider?: MeterProvider;
  /**
   * The consumer's message source, for `prism.consumer.lag`: measured when it implements `LagReporting`
   * (Kafka, NATS JetStream, Redis Streams, PostgreSQL, memstore), left out otherwise.
   */
  readonly source?: unknown;
  /** How often the lag is asked of the source, in ms. Default 5000. */
  readonly lagIntervalMs?: number;
  /** `messaging.system`, e.g. `"kafka"`. */
  readonly system?: string;
  /** Where a failed lag poll is reported (at `warn`, once until one succeeds again). Default: nowhere. */
  readonly logger?: Logger;
}

/** The semantic conventions' buckets for `messaging.process.duration`, in seconds. */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * Records a consumer's metrics through the OpenTelemetry metrics API, each with the topic, the group
 * and the consumer's name as attributes:
 *
 * | Instrument | Kind | What |
 * | --- | --- | --- |
 * | `prism.consumer.processed` | counter | messages processed |
 * | `prism.consumer.failed` | counter | failed attempts (`prism.timed_out` for a deadline) |
 * | `prism.consumer.retried` | counter | retries scheduled |
 * | `prism.consumer.dead_lettered` / `.dropped` | counter | messages given up |
 * | `prism.consumer.retry_topic` / `.parked` | counter | messages sent to the retry topic / parked |
 * | `prism.consumer.filtered` / `.deduplicated` | counter | messages done without processing |
 * | `prism.consumer.commits` | counter | checkpoints written |
 * | `messaging.process.duration` | histogram (s) | each attempt (`error.type` when it failed) |
 * | `prism.consumer.in_flight` | gauge | messages being processed now |
 * | `prism.consumer.lag` | gauge | per partition, what the group has not consumed (with a `LagReporting` source) |
 *
 * Returns what stops it (listeners and the lag poll).
 */
export function meterConsumer(consumer: InstrumentableConsumer, options: ConsumerMetricsOptions = {}) {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(instrumentationScope);
  const identity = consumer.health();
  const common: Attributes = {
    [Attr.Destination]: identity.topic,
    [Attr.ConsumerGroup]: identity.group,
    [Attr.ConsumerName]: identity.name,
    ...(options.system && { [Attr.System]: options.system }),
  };
  const counter = (name: string, description: string, unit = "{message}") =>
    meter.createCounter(name, { description, unit });
  const processed = counter("prism.consumer.processed", "Messages processed successfully");
  const failed = counter("prism.consumer.failed", "Failed processing attempts", "{attempt}");
  const retried = counter("prism.consumer.retried", "Retries scheduled", "{attempt}");
  const deadLettered = counter("prism.consumer.dead_lettered", "Messages sent to the dead-letter queue");
  const dropped = counter("prism.consumer.dropped", "Messages given up without a dead-letter queue");
  const sentToRetryTopic = counter("prism.consumer.retry_topic", "Messages sent to the retry topic");
  const parked = counter("prism.consumer.parked", "Messages parked, their partition stopped until a restart");
  const filtered = counter("prism.consumer.filtered", "Messages that did not match the filter");
  const deduplicated = counter(
    "prism.consumer.deduplicated",
    "Messages seen within the deduplication window",
  );
  const commits = counter("prism.consumer.commits", "Checkpoints written", "{commit}");
  const duration = meter.createHistogram("messaging.process.duration", {
    description: "Duration of processing attempts",
    unit: "s",
    advice: { explicitBucketBoundaries: durationBuckets },
  });
  const inFlight = meter.createObservableGauge("prism.consumer.in_flight", {
    description: "Messages being processed",
    unit: "{message}",
  });
  inFlight.addCallback((result) => result.observe(consumer.health().inFlight, common));

  let poller: LagPoller | undefined;
  if (isLagReporting(options.source)) {
    const logger = options.logger ?? silentLogger;
    poller = new LagPoller(
      options.source,
      () => ({ topic: identity.topic, group: identity.group }),
      options.lagIntervalMs ?? 5000,
      (error) => logger.warn("could not read the consumer lag", { error: describeError(error) }),
    );
    const lagPoller = poller;
    const lag = meter.createObservableGauge("prism.consumer.lag", {
      description: "Messages the group has not consumed yet, per partition",
      unit: "{message}",
    });
    lag.addCallback((result) => {
      for (const [partition, value] of Object.entries(lagPoller.lag)) {
        result.observe(value, { ...common, [Attr.Partition]: partition });
      }
    });
  }

  const off = [
    consumer.on("processed", ({ messages, durationMs }) => {
      processed.add(messages.length, common);
      duration.record(durationMs / 1000, common);
    }),
    consumer.on("failed", ({ timedOut, durationMs, error }) => {
      failed.add(1, { ...common, [Attr.TimedOut]: timedOut });
      const type = timedOut ? "timeout" : error instanceof Error ? error.name : "Error";
      duration.record(durationMs / 1000, { ...common, [Attr.ErrorType]: type });
    }),
    consumer.on("retrying", () => retried.add(1, common)),
    consumer.on("deadLettered", () => deadLettered.add(1, common)),
    consumer.on("dropped", () => dropped.add(1, common)),
    consumer.on("sentToRetryTopic", () => sentToRetryTopic.add(1, common)),
    consumer.on("parked", () => parked.add(1, common)),
    consumer.on("filtered", () => filtered.add(1, common)),
    consumer.on("deduplicated", () => deduplicated.add(1, common)),
    consumer.on("committed", () => commits.add(1, common)),
  ];
  return (): void => {
    poller?.stop();
    for (const stop of off) stop();
  };
}
