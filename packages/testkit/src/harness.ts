/**
 * How to run the suite against a particular backend — test-harness settings, kept apart from the
 * driver's features.
 */
export interface ConformanceHarness {
  /** Messages in the bulk cases. Default 1000, or 100 in short mode. */
  readonly messageCount?: number;
  /** Short mode: fewer messages (also set by the env var `PRISM_CONFORMANCE_SHORT=1`). */
  readonly short?: boolean;
  /**
   * Longest wait for the messages a case expects, in ms — including what a stopped receiver never settled,
   * which must come back within it. Default 30 s.
   */
  readonly timeoutMs?: number;
  /**
   * How long to watch for messages that must not arrive (duplicates, redeliveries after ack), in ms.
   * It must exceed the driver's redelivery delay as configured for the test. Default 1000.
   */
  readonly quietMs?: number;
  /** Restarts the backend server mid-stream; enables the server-restart reconnect case when given. */
  readonly restartServer?: (() => Promise<void>) | undefined;
  /**
   * Drops every connection the driver has, with the server still up: enables the connection-cut
   * reconnect case. With `tcpProxy`, connect `create()` through the proxy and pass `() => proxy.cut()`.
   */
  readonly cutConnections?: (() => Promise<void> | void) | undefined;
  /** Prefix of the topic, queue, group and key names the suite creates. Default "prism-ct". */
  readonly namePrefix?: string;
  /**
   * The cleanup hook: deletes what the suite created on the backend (streams, queues, exchanges, tables,
   * topics, groups, keys) — every name it used is unique to the run, so nothing else is touched. Called
   * once, after the suite's last case.
   */
  readonly deleteCreated?: ((created: CreatedNames) => Promise<void>) | undefined;
}

/** The names a suite used: topics (and queues), consumer groups, and keys. */
export interface CreatedNames {
  readonly topics: readonly string[];
  readonly groups: readonly string[];
  readonly keys: readonly string[];
}

export interface ResolvedHarness {
  readonly messageCount: number;
  readonly timeoutMs: number;
  readonly quietMs: number;
  readonly restartServer: (() => Promise<void>) | undefined;
  readonly cutConnections: (() => Promise<void> | void) | undefined;
  readonly namePrefix: string;
  readonly deleteCreated: ((created: CreatedNames) => Promise<void>) | undefined;
  /** Every name handed out so far, for `deleteCreated`. */
  readonly created: {
    readonly topics: Set<string>;
    readonly groups: Set<string>;
    readonly keys: Set<string>;
  };
}

export function resolveHarness(harness: ConformanceHarness = {}): ResolvedHarness {
  const short = harness.short ?? process.env.PRISM_CONFORMANCE_SHORT === "1";
  return {
    messageCount: harness.messageCount ?? (short ? 100 : 1000),
    timeoutMs: harness.timeoutMs ?? 30_000,
    quietMs: harness.quietMs ?? 1000,
    restartServer: harness.restartServer,
    cutConnections: harness.cutConnections,
    namePrefix: harness.namePrefix ?? "prism-ct",
    deleteCreated: harness.deleteCreated,
    created: { topics: new Set(), groups: new Set(), keys: new Set() },
  };
}

/** A name no other case or run uses, safe for NATS subjects, Kafka topics, Redis keys and SQL values. */
function uniqueName(harness: ResolvedHarness, label: string): string {
  return `${harness.namePrefix}-${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** A new topic or queue name, remembered for `deleteCreated`. */
export function newTopic(harness: ResolvedHarness, label: string): string {
  const name = uniqueName(harness, label);
  harness.created.topics.add(name);
  return name;
}

/** The consumer group `label` of a case on `topic`: unique with it (Kafka's groups are broker-wide). */
export function groupOf(harness: ResolvedHarness, topic: string, label: string): string {
  const name = `${topic}-${label}`;
  harness.created.groups.add(name);
  return name;
}

/** A new key, remembered for `deleteCreated`. */
export function newKey(harness: ResolvedHarness, label: string): string {
  const name = uniqueName(harness, label);
  harness.created.keys.add(name);
  return name;
}

/** What a suite hands to `deleteCreated` once its cases have run. */
export async function deleteCreated(harness: ResolvedHarness): Promise<void> {
  const { topics, groups, keys } = harness.created;
  if (!harness.deleteCreated || topics.size + groups.size + keys.size === 0) return;
  await harness.deleteCreated({ topics: [...topics], groups: [...groups], keys: [...keys] });
}

/** Per-case vitest timeout: a case may wait `timeoutMs` more than once (e.g. joins, then messages). */
export function caseTimeout(harness: ResolvedHarness): number {
  return harness.timeoutMs * 2 + 10_000;
}
