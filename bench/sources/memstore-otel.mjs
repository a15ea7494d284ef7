// The cost of @prism/opentelemetry on the consumer's fast path: the same memstore backlog consumed by a
// plain Consumer (the "raw" column) and by one with traceConsumer + meterConsumer (the "consumer" column)
// recording into the real SDK — AsyncLocalStorage context, every span sampled and handed to an exporter
// that drops it, metrics aggregated in a MeterProvider — so the ratio is with / without.
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { MemStore } from "@prism/driver-memstore";
import { meterConsumer, traceConsumer } from "@prism/opentelemetry";
import { startConsumer } from "../lib/prism.mjs";
import * as memstore from "./memstore.mjs";

export const title = "memstore + OpenTelemetry";
export const note =
  "raw = the plain Consumer on memstore, consumer = the same with traceConsumer and meterConsumer into the real SDK (spans sampled and dropped by the exporter); the ratio is the cost of tracing + metrics.";
export const service = undefined;
export const messages = { full: { 16: 300_000, 1024: 100_000 }, quick: { 16: 50_000, 1024: 20_000 } };
export const { open, close, prepare, drop, publisher } = memstore;

const dropping = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
let sdk;
function instrumentation() {
  if (!sdk) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    sdk = {
      tracerProvider: new TracerProvider({
        spanProcessors: [new BatchSpanProcessor({ exporter: dropping })],
      }),
      meterProvider: new MeterProvider(),
    };
  }
  return sdk;
}

async function consume(ctx, topic, sink, { behavior, stateStore }, instrument) {
  const entry = ctx.stores.get(topic);
  const consumer = await startConsumer({
    source: entry.store,
    stateStore: stateStore ?? new MemStore(),
    topic,
    group: `prism-${++entry.groups}`,
    sink,
    behavior,
    beforeStart: instrument,
  });
  return { consumer, stop: () => consumer.stop() };
}

/** The plain consumer, with the row's behavior (batches, concurrency): the baseline. */
export function raw(ctx, topic, sink, { behavior }) {
  return consume(ctx, topic, sink, { behavior }, undefined);
}

export function consumer(ctx, topic, sink, options) {
  return consume(ctx, topic, sink, options, (c) => {
    const { tracerProvider, meterProvider } = instrumentation();
    traceConsumer(c, { tracerProvider, system: "memstore" });
    meterConsumer(c, { meterProvider, source: ctx.stores.get(topic).store, system: "memstore" });
  });
}
