// Tracing + metrics as a production consumer would run them: @prism/opentelemetry into the real SDK —
// AsyncLocalStorage context, a parent-based 1 % trace-id ratio sampler (a foreign producer's sampled trace
// is continued), spans of sampled traces handed to an exporter that drops them, every metric aggregated
// in a MeterProvider.
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { meterConsumer, traceConsumer } from "@prism/opentelemetry";

/** Share of traces sampled (recorded and exported). */
export const samplingRatio = 0.01;

const dropping = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
let sdk;

function providers() {
  if (!sdk) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    sdk = {
      tracerProvider: new TracerProvider({
        sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(samplingRatio) }),
        spanProcessors: [new BatchSpanProcessor({ exporter: dropping })],
      }),
      meterProvider: new MeterProvider(),
    };
  }
  return sdk;
}

/** For `beforeStart`: traces and meters `consumer`, whose source is `source` (for the lag gauge). */
export function instrument(system, source) {
  return (consumer) => {
    const { tracerProvider, meterProvider } = providers();
    traceConsumer(consumer, { tracerProvider, system });
    meterConsumer(consumer, { meterProvider, source, system });
  };
}
