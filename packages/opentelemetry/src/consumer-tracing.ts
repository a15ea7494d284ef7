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
  const spans = new WeakMap<Message, Span>();
  const base = (message: Message): Attributes => ({
    [Attr.Destination]: message.topic,
    [Attr.OperationType]: "process",
    [Attr.OperationName]: "process",
    [Attr.MessageId]: message.id,
    [Attr.BrokerDeliveries]: message.deliveryAttempt,
    ...(message.position && { [Attr.Partition]: message.position.partition }),
    ...(options.system && { [Attr.System]: options.system }),
  });
  consumer.use(deliveryTracing(tracer, spans, base, options.propagator));
  consumer.use(attemptTracing(tracer, spans), "attempt");

  const outcome = (message: Message, name: string, result: string, failure?: FailureRecord) => {
    const parent = spans.get(message);
    const ctx = parent
      ? trace.setSpan(context.active(), parent)
      : extractTraceContext(message.metadata, options.propagator);
    const { group, name: consumerName } = consumer.health();
    const span = tracer.startSpan(
      `${name} ${message.topic}`,
      {
        kind: name === "process" ? SpanKind.CONSUMER : SpanKind.PRODUCER,
        attributes: {
          ...base(message),
          [Attr.ConsumerGroup]: group,
          [Attr.ConsumerName]: consumerName,
          [Attr.Outcome]: result,
          ...(failure && { [Attr.FailureReason]: failure.error, [Attr.MaxAttempts]: failure.attempts }),
        },
      },
      ctx,
    );
    span.end();
  };
  const off = [
    consumer.on("retrying", ({ messages, nextAttempt, delayMs, error }) => {
      spans.get(messages[0] as Message)?.addEvent("retry", {
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

/** The delivery span: around all attempts, in the context the message carries. */
function deliveryTracing(
  tracer: Tracer,
  spans: WeakMap<Message, Span>,
  base: (message: Message) => Attributes,
  propagator: TraceContextPropagator | undefined,
): Middleware {
  return (next) => (delivery) => {
    const messages = delivery.messages;
    const first = messages[0] as Message;
    const single = messages.length === 1;
    const parent = single ? extractTraceContext(first.metadata, propagator) : context.active();
    const links: Link[] = single
      ? []
      : messages.flatMap((message) => {
          const linked = trace.getSpanContext(extractTraceContext(message.metadata, propagator));
          return linked ? [{ context: linked }] : [];
        });
    const attributes: Attributes = {
      ...base(first),
      [Attr.ConsumerGroup]: delivery.consumer.group,
      [Attr.ConsumerName]: delivery.consumer.name,
      [Attr.ClientId]: delivery.consumer.member,
      [Attr.MaxAttempts]: delivery.maxAttempts,
    };
    if (!single) {
      delete attributes[Attr.MessageId];
      attributes[Attr.BatchCount] = messages.length;
    }
    const span = tracer.startSpan(
      `process ${delivery.consumer.topic}`,
      { kind: SpanKind.CONSUMER, attributes, links },
      parent,
    );
    for (const message of messages) spans.set(message, span);
    return settle(span, () => context.with(trace.setSpan(parent, span), next, undefined, delivery));
  };
}

/** One span per attempt, a child of the delivery span. */
function attemptTracing(tracer: Tracer, spans: WeakMap<Message, Span>): Middleware {
  return (next) => (delivery: Delivery) => {
    const owner = spans.get(delivery.messages[0] as Message);
    const parent: Context = owner ? trace.setSpan(context.active(), owner) : context.active();
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
function settle(span: Span, work: () => void | Promise<void>): void | Promise<void> {
  let result: void | Promise<void>;
  try {
    result = work();
  } catch (error) {
    failed(span, error);
    throw error;
  }
  if (result && typeof (result as Promise<void>).then === "function") {
    return (result as Promise<void>).then(
      () => succeeded(span),
      (error: unknown) => {
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
