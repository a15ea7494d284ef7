import { context, SpanKind, SpanStatusCode, type TracerProvider, trace } from "@opentelemetry/api";
import type { Metadata } from "@prism/consumer-core";
import { Attr, instrumentationScope } from "./attributes.js";
import { injectTraceContext, type TraceContextPropagator } from "./propagation.js";

export interface TracedDriverOptions {
  /** Default: the global tracer provider. */
  readonly tracerProvider?: TracerProvider;
  /** Default: the global propagation (W3C trace context with the SDK's defaults). */
  readonly propagator?: TraceContextPropagator;
  /** `messaging.system`, e.g. `"kafka"`, `"nats"`, `"redis"`, `"postgresql"`. */
  readonly system?: string;
}

type Send = (topic: string, payload: Uint8Array, metadata?: Metadata) => Promise<string>;
const sending = new Set<PropertyKey>(["publish", "enqueue"]);

/**
 * The driver with `publish` and `enqueue` traced: each runs in a producer span (`send {topic}`) whose
 * context is injected into the message's metadata, so the consumer's spans continue the trace. Every
 * other method — and so every capability the driver has — is the driver's own, unchanged.
 */
export function traceDriver<D extends object>(driver: D, options: TracedDriverOptions = {}): D {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(instrumentationScope);
  const bound = new Map<PropertyKey, unknown>();
  const traced = (operation: string, send: Send): Send => {
    return async (topic, payload, metadata = {}) => {
      const span = tracer.startSpan(`send ${topic}`, {
        kind: SpanKind.PRODUCER,
        attributes: {
          [Attr.Destination]: topic,
          [Attr.OperationType]: "send",
          [Attr.OperationName]: operation,
          ...(options.system && { [Attr.System]: options.system }),
        },
      });
      const carried = injectTraceContext(metadata, trace.setSpan(context.active(), span), options.propagator);
      try {
        const id = await send(topic, payload, carried);
        span.setAttribute(Attr.MessageId, id);
        return id;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) });
        span.setAttribute(Attr.ErrorType, (error as Error)?.name ?? "Error");
        throw error;
      } finally {
        span.end();
      }
    };
  };
  return new Proxy(driver, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      let wrapper = bound.get(property);
      if (wrapper === undefined) {
        const own = (value as (...args: unknown[]) => unknown).bind(target);
        wrapper = sending.has(property) ? traced(String(property), own as Send) : own;
        bound.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
