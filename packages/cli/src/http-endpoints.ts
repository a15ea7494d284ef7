import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ConsumerHealth } from "@prism/consumer-core";
import { isLive, notReadyReason } from "./readiness.js";

export interface Endpoints {
  readonly health: () => ConsumerHealth;
  /** Writes the Prometheus text exposition of the consumer's metrics. */
  readonly metrics: (request: IncomingMessage, response: ServerResponse) => void;
  /**
   * Routes before the probes: answers (and returns `true`) for the requests it owns — the operator's
   * console at `/` and `/api/*` — and leaves the others.
   */
  readonly console?: (request: IncomingMessage, response: ServerResponse, pathname: string) => boolean;
}

/**
 * `GET /healthz` (liveness: 200 until the consumer stopped or failed), `/readyz` (200 while it runs
 * with every reporting driver connected; 503 while stalled, draining, stopped or disconnected, with the
 * reason) and `/metrics`. Bodies are JSON with the status, counters and the reason — never a URL or a
 * credential (drivers report errors redacted). `console` adds the operator's console.
 */
export function serveEndpoints(
  endpoints: Endpoints,
  host: string | undefined,
  port: number,
): Promise<Server> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (endpoints.console?.(request, response, url.pathname)) return;
    if (request.method !== "GET" && request.method !== "HEAD")
      return send(response, 405, { error: "GET only" });
    if (url.pathname === "/metrics") return endpoints.metrics(request, response);
    const health = endpoints.health();
    const summary = {
      status: health.status,
      name: health.name,
      inFlight: health.inFlight,
      counters: health.counters,
    };
    if (url.pathname === "/healthz") return send(response, isLive(health) ? 200 : 503, summary);
    if (url.pathname === "/readyz") {
      const reason = notReadyReason(health);
      return send(response, reason ? 503 : 200, reason ? { ...summary, reason } : summary);
    }
    const paths = endpoints.console ? "/, /healthz, /readyz or /metrics" : "/healthz, /readyz or /metrics";
    send(response, 404, { error: `not found: GET ${paths}` });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(`${JSON.stringify(body)}\n`);
}
