import type { IncomingMessage, ServerResponse } from "node:http";
import type { MeterProvider as MeterProviderApi } from "@opentelemetry/api";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";

/** A meter provider whose metrics are read on each request, in the Prometheus text format. */
export interface PrometheusMetrics {
  readonly meterProvider: MeterProviderApi;
  readonly handle: (request: IncomingMessage, response: ServerResponse) => void;
  readonly shutdown: () => Promise<void>;
}

export function prometheusMetrics(): PrometheusMetrics {
  // The exporter only serialises: the CLI's own server answers /metrics with it.
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  return {
    meterProvider,
    handle: (request, response) => exporter.getMetricsRequestHandler(request, response),
    shutdown: () => meterProvider.shutdown(),
  };
}
