export interface CrashSource {
  label: string;
  /** The services it needs: nats, redis, postgres, kafka. */
  backends: Array<"nats" | "redis" | "postgres" | "kafka">;
}

export function sources(urls: {
  nats: string;
  redis: string;
  postgres: string;
  kafka: string;
}): Record<string, CrashSource>;
