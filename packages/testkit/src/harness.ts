/**
 * How to run the suite against a particular backend — test-harness settings, kept apart from the
 * driver's features.
 */
export interface ConformanceHarness {
  /** Messages in the bulk cases. Default 1000, or 100 in short mode. */
  readonly messageCount?: number;
  /** Short mode: fewer messages (also set by the env var `PRISM_CONFORMANCE_SHORT=1`). */
  readonly short?: boolean;
  /** Longest wait for the messages a case expects, in ms. Default 30 s. */
  readonly timeoutMs?: number;
  /**
   * How long to watch for messages that must not arrive (duplicates, redeliveries after ack), in ms.
   * It must exceed the driver's redelivery delay as configured for the test. Default 1000.
   */
  readonly quietMs?: number;
  /** Restarts the backend server mid-stream; enables the reconnect case when given. */
  readonly restartServer?: () => Promise<void>;
  /** Prefix of the topic, queue and key names the suite creates. Default "prism-ct". */
  readonly namePrefix?: string;
}

export interface ResolvedHarness {
  readonly messageCount: number;
  readonly timeoutMs: number;
  readonly quietMs: number;
  readonly restartServer: (() => Promise<void>) | undefined;
  readonly namePrefix: string;
}

export function resolveHarness(harness: ConformanceHarness = {}): ResolvedHarness {
  const short = harness.short ?? process.env.PRISM_CONFORMANCE_SHORT === "1";
  return {
    messageCount: harness.messageCount ?? (short ? 100 : 1000),
    timeoutMs: harness.timeoutMs ?? 30_000,
    quietMs: harness.quietMs ?? 1000,
    restartServer: harness.restartServer,
    namePrefix: harness.namePrefix ?? "prism-ct",
  };
}

/** A name no other case or run uses, safe for NATS subjects, Kafka topics, Redis keys and SQL values. */
export function uniqueName(harness: ResolvedHarness, label: string): string {
  return `${harness.namePrefix}-${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** Per-case vitest timeout: a case may wait `timeoutMs` more than once (e.g. joins, then messages). */
export function caseTimeout(harness: ResolvedHarness): number {
  return harness.timeoutMs * 2 + 10_000;
}
