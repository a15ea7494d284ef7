export interface CrashSource {
  label: string;
  /** The services it needs: nats, redis, postgres, kafka. */
  backends: Array<"nats" | "redis" | "postgres" | "kafka">;
  /** The Node its driver needs, when newer than the repository's ("22.22.0"). */
  minimumNode?: string;
}

/** Whether this Node is `minimum` ("22.22.0") or later. */
export function nodeAtLeast(minimum: string): boolean;

export function sources(urls: {
  nats: string;
  redis: string;
  postgres: string;
  kafka: string;
}): Record<string, CrashSource>;
