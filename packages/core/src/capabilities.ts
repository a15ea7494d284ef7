import type { CheckpointLookup } from "./interfaces.js";

/** Optional: a source that can start after a stored position instead of where the backend left off. */
export interface ResumableSource {
  /**
   * Makes the subscriptions and receives opened afterwards for `topic` and `group` start right after the
   * offset `lookup` returns for each partition; partitions it has no offset for start as they would have.
   */
  resumeAfter(topic: string, group: string, lookup: CheckpointLookup): Promise<void>;
}

/**
 * Optional: a source whose partitions move between the members of a group (Kafka). The consumer
 * commits only the partitions the source says this process holds, so it never writes the checkpoint of
 * a partition another member now owns.
 */
export interface PartitionedSource {
  /** Partitions of `topic` currently assigned to this process for `group`. */
  ownedPartitions(topic: string, group: string): ReadonlySet<string>;
}

/** What a driver knows about its connection, shown in the consumer's `health().drivers`. */
export interface DriverHealth {
  readonly connected: boolean;
  /** Reconnections since the driver was created. */
  readonly reconnects: number;
  /** The last connection problem, without credentials. */
  readonly lastError?: string;
}

/** Optional: a driver that reports its connection state. */
export interface HealthReporting {
  driverHealth(): DriverHealth;
}

/** Optional: a driver holding connections or timers that must be released. */
export interface Closable {
  close(): Promise<void>;
}

export function isResumableSource(driver: unknown): driver is ResumableSource {
  return hasMethods(driver, ["resumeAfter"]);
}

export function isPartitionedSource(driver: unknown): driver is PartitionedSource {
  return hasMethods(driver, ["ownedPartitions"]);
}

export function isHealthReporting(driver: unknown): driver is HealthReporting {
  return hasMethods(driver, ["driverHealth"]);
}

export function isClosable(driver: unknown): driver is Closable {
  return hasMethods(driver, ["close"]);
}

/** The names in `methods` that `value` lacks as functions. */
export function missingMethods(value: unknown, methods: readonly string[]): string[] {
  if (typeof value !== "object" || value === null) return [...methods];
  const record = value as Record<string, unknown>;
  return methods.filter((method) => typeof record[method] !== "function");
}

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return missingMethods(value, methods).length === 0;
}
