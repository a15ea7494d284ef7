export interface Backend {
  /** Whether the server answered its protocol's readiness check. */
  available: boolean;
  /**
   * Connection URL from DATABASE_URL, REDIS_URL, NATS_URL or KAFKA_BROKERS, or this checkout's private
   * instance (`pnpm services:up`) when the variable is not set.
   */
  url: string;
  /** The same with credentials replaced by `***`, for messages. */
  redactedUrl: string;
  reason?: string;
  /**
   * What restarts this server: this checkout's private instance, or the command in
   * PRISM_RESTART_<SERVICE> for another server. `undefined` when neither applies: the skip is then printed
   * and summarised at the end of `pnpm test` (under CI=true it throws instead).
   */
  restarter(): (() => Promise<void>) | undefined;
}

/** Probes the server a suite uses; skips loudly when unreachable, or throws under CI=true. */
export function backend(name: "postgres" | "redis" | "nats" | "kafka" | "prometheus"): Promise<Backend>;

/** The variable whose command restarts a server this checkout did not start, e.g. PRISM_RESTART_REDIS. */
export function restartVariable(name: "postgres" | "redis" | "nats" | "kafka" | "prometheus"): string;

/** The path of a command-line tool some tests run, or undefined after a loud skip (throws under CI=true). */
export function tool(command: string, install: string): string | undefined;

/**
 * Makes this checkout's Prometheus scrape `targets` (host:port) with `labels` until the returned function is
 * called. Undefined after a loud skip (throws under CI=true) when PROMETHEUS_URL names another Prometheus.
 */
export function scrape(
  name: string,
  targets: readonly string[],
  labels: Record<string, string>,
): Promise<(() => void) | undefined>;
