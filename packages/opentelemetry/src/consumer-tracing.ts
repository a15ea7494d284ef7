import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import {
  type Delivery,
  describeError,
  type FailureRecord,
  isPrismError,
  type Message,
  type Middleware,
  PrismErrorCode,
} from "@prism/consumer-core";
import { Attr, instrumentationScope } from "./attributes.js";
import type { InstrumentableConsumer } from "./consumer-surface.js";
import { extractTraceContext, type TraceContextPropagator } from "./propagation.js";

export interface ConsumerTracingOptions {
  /** Default: the global tracer provider. */
  readonly tracerProvider?: TracerProvider;
  /** Default: the global propagation (W3C trace context with the SDK's defaults). */
  readonly propagator?: TraceContextPropagator;
  /** `messaging.system`, e.g. `"kafka"`, `"nats"`, `"redis"`, `"postgresql"`. */
  readonly system?: string;
}

/**
 * Traces a consumer with the OpenTelemetry messaging conventions. Each delivery (a message, or a batch)
 * runs in a consumer span `process {topic}` that continues the trace its message carries (a
 * `traceparent` from `traceDriver` or from any other producer; a batch links each message's), with one
 * child span per attempt (`attempt {topic}`: its number, a timeout, the error). Retries are events on
 * the delivery span; dead-lettering and dropping are child spans (`dead-letter {topic}`, with the reason);
 * filtered and deduplicated messages, which never reach processing, get a `process` span of their own
 * with that outcome. Call before `start()`; returns what stops listening to the consumer's events (the
 * middleware stays until the next start of a new consumer).
 */
export function traceConsumer(consumer: InstrumentableConsumer, options: ConsumerTracingOptions = {}) {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(instrumentationScope);
  // Delivery spans of failed deliveries, so that what happens to their messages next (dead-lettered,
  // parked, …) is recorded as their child; successful deliveries never need the lookup.
  const failedSpans = new WeakMap<Message, Span>();
  consumer.use(deliveryTracing(tracer, failedSpans, options));
  consumer.use(attemptTracing(tracer), "attempt");

  const outcome = (message: Message, name: string, result: string, failure?: FailureRecord) => {
    const parent = failedSpans.get(message);
    const ctx = parent
      ? trace.setSpan(context.active(), parent)
      : extractTraceContext(message.metadata, options.propagator);
    const { group, name: consumerName } = consumer.health();
    const span = tracer.startSpan(
      `${name} ${message.topic}`,
      {
        kind: name === "process" ? SpanKind.CONSUMER : SpanKind.PRODUCER,
        attributes: {
          ...messageAttributes(message),
          [Attr.OperationType]: "process",
          [Attr.Destination]: message.topic,
          [Attr.ConsumerGroup]: group,
          [Attr.ConsumerName]: consumerName,
          [Attr.Outcome]: result,
          ...(options.system && { [Attr.System]: options.system }),
          ...(failure && { [Attr.FailureReason]: failure.error, [Attr.MaxAttempts]: failure.attempts }),
        },
      },
      ctx,
    );
    span.end();
  };
  const off = [
    // Fired inside the delivery's context: the active span is its delivery span.
    consumer.on("retrying", ({ nextAttempt, delayMs, error }) => {
      trace.getActiveSpan()?.addEvent("retry", {
        [Attr.Attempt]: nextAttempt,
        "prism.retry.delay_ms": delayMs,
        [Attr.FailureReason]: describeError(error),
      });
    }),
    consumer.on("deadLettered", ({ message, failure }) =>
      outcome(message, "dead-letter", "dead-lettered", failure),
    ),
    consumer.on("dropped", ({ message, failure }) => outcome(message, "drop", "dropped", failure)),
    consumer.on("sentToRetryTopic", ({ message, failure }) =>
      outcome(message, "retry-topic", "sent-to-retry-topic", failure),
    ),
    consumer.on("parked", ({ message, failure }) => outcome(message, "park", "parked", failure)),
    consumer.on("filtered", ({ message }) => outcome(message, "process", "filtered")),
    consumer.on("deduplicated", ({ message }) => outcome(message, "process", "deduplicated")),
  ];
  return (): void => {
    for (const stop of off) stop();
  };
}

function messageAttributes(message: Message): Attributes {
  const attributes: Attributes = {
    [Attr.MessageId]: message.id,
    [Attr.BrokerDeliveries]: message.deliveryAttempt,
  };
  if (message.position) attributes[Attr.Partition] = message.position.partition;
  return attributes;
}

/** The delivery span: around all attempts, in the context the message carries. */
function deliveryTracing(
  tracer: Tracer,
  failedSpans: WeakMap<Message, Span>,
  options: ConsumerTracingOptions,
): Middleware {
  // What every delivery of one run shares, built once per run (its identity).
  let identity: Delivery["consumer"] | undefined;
  let shared: Attributes = {};
  let samplingAttributes: Attributes = {};
  return (next) => (delivery) => {
    if (delivery.consumer !== identity) {
      identity = delivery.consumer;
      samplingAttributes = {
        [Attr.Destination]: identity.topic,
        [Attr.OperationType]: "process",
        [Attr.ConsumerGroup]: identity.group,
        ...(options.system && { [Attr.System]: options.system }),
      };
      shared = {
        ...samplingAttributes,
        [Attr.OperationName]: "process",
        [Attr.ConsumerName]: identity.name,
        [Attr.ClientId]: identity.member,
        [Attr.MaxAttempts]: delivery.maxAttempts,
      };
    }
    const messages = delivery.messages;
    const first = messages[0] as Message;
    const single = messages.length === 1;
    const parent = single ? extractTraceContext(first.metadata, options.propagator) : context.active();
    const links: Link[] = [];
    if (!single) {
      for (const message of messages) {
        const linked = trace.getSpanContext(extractTraceContext(message.metadata, options.propagator));
        if (linked) links.push({ context: linked });
      }
    }
    // The attributes a sampler may decide on are given at creation; the rest only to a span that records
    // (an unsampled span would copy and check each of them, then drop them: most of its cost).
    const span = tracer.startSpan(
      `process ${identity.topic}`,
      { kind: SpanKind.CONSUMER, attributes: samplingAttributes, links },
      parent,
    );
    if (span.isRecording()) {
      span.setAttributes(shared);
      if (single) {
        span.setAttribute(Attr.MessageId, first.id);
        span.setAttribute(Attr.BrokerDeliveries, first.deliveryAttempt);
        if (first.position) span.setAttribute(Attr.Partition, first.position.partition);
      } else {
        span.setAttribute(Attr.BatchCount, messages.length);
      }
    }
    return settle(
      span,
      () => context.with(trace.setSpan(parent, span), next, undefined, delivery),
      () => {
        for (const message of messages) failedSpans.set(message, span);
      },
    );
  };
}

/**
 * One span per attempt, a child of the delivery span (the active one). An unsampled delivery's attempts
 * would not be recorded either: they cost nothing then (no span, no context switch).
 */
function attemptTracing(tracer: Tracer): Middleware {
  return (next) => (delivery: Delivery) => {
    const parent: Context = context.active();
    if (trace.getSpan(parent)?.isRecording() === false) return next(delivery);
    const span = tracer.startSpan(
      `attempt ${delivery.consumer.topic}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: { [Attr.Attempt]: delivery.attempt, [Attr.MaxAttempts]: delivery.maxAttempts },
      },
      parent,
    );
    return settle(span, () => context.with(trace.setSpan(parent, span), next, undefined, delivery));
  };
}

/** Runs `work`, ends the span with its outcome; synchronous work stays synchronous. */
function settle(span: Span, work: () => void | Promise<void>, onFailure?: () => void): void | Promise<void> {
  let result: void | Promise<void>;
  try {
    result = work();
  } catch (error) {
    onFailure?.();
    failed(span, error);
    throw error;
  }
  if (result && typeof (result as Promise<void>).then === "function") {
    return (result as Promise<void>).then(
      () => succeeded(span),
      (error: unknown) => {
        onFailure?.();
        failed(span, error);
        throw error;
      },
    );
  }
  succeeded(span);
}
function succeeded(span: Span): void {
  span.setAttribute(Attr.Outcome, "processed");
  span.end();
}

function failed(span: Span, error: unknown): void {
  const timedOut = isPrismError(error) && error.code === PrismErrorCode.TimedOut;
  if (timedOut) {
    span.setAttribute(Attr.TimedOut, true);
    span.addEvent("timeout");
  }
  span.recordException(error instanceof Error ? error : new Error(describeError(error)));
  span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
  span.setAttribute(Attr.ErrorType, timedOut ? "timeout" : error instanceof Error ? error.name : "Error");
  span.setAttribute(Attr.Outcome, "failed");
  span.end();
}
