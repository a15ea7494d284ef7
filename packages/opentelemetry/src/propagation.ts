import {
  type Context,
  context,
  propagation,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";
import type { Metadata } from "@prism/consumer-core";

/**
 * What carries trace context in and out of message metadata: OpenTelemetry's global propagation (the W3C
 * `traceparent`/`tracestate` headers with the SDK's defaults) or any `TextMapPropagator`.
 */
export interface TraceContextPropagator {
  inject(
    context: Context,
    carrier: Record<string, string>,
    setter: TextMapSetter<Record<string, string>>,
  ): void;
  extract(context: Context, carrier: Metadata, getter: TextMapGetter<Metadata>): Context;
}

const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

// Producers differ in the case of header names (`Traceparent` from some HTTP-minded clients): exact first.
const getter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const exact = carrier[key];
    if (exact !== undefined) return exact;
    const lower = key.toLowerCase();
    for (const [name, value] of Object.entries(carrier)) if (name.toLowerCase() === lower) return value;
    return undefined;
  },
};

/** `metadata` plus the trace context of `ctx` (e.g. `traceparent`), as a new object. */
export function injectTraceContext(
  metadata: Metadata,
  ctx: Context = context.active(),
  propagator: TraceContextPropagator = propagation,
): Metadata {
  const carrier: Record<string, string> = { ...metadata };
  propagator.inject(ctx, carrier, setter);
  return carrier;
}

/** The context a message's metadata carries (a foreign producer's `traceparent` too), over `base`. */
export function extractTraceContext(
  metadata: Metadata,
  propagator: TraceContextPropagator = propagation,
  base: Context = context.active(),
): Context {
  return propagator.extract(base, metadata, getter);
}
