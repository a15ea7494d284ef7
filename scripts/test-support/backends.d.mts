export interface Backend {
  /** Whether the service answered its protocol's readiness check. */
  available: boolean;
  /** Connection URL from DATABASE_URL, REDIS_URL, NATS_URL or KAFKA_BROKERS, or the local default. */
  url: string;
  /** The same with credentials replaced by `***`, for messages. */
  redactedUrl: string;
  reason?: string;
}

/** Probes a local service; skips loudly when unreachable, or throws under CI=true. */
export function backend(name: "postgres" | "redis" | "nats" | "kafka"): Promise<Backend>;
