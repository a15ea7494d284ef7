import type { BehaviorConfig, ConsumerOptions, GroupChange, Logger, Message } from "@prism/consumer-core";
import { type PartitionedSource, type PubSubInterface, pushChannel } from "@prism/consumer-core/driver";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (data: Uint8Array): string => decoder.decode(data);

/** Behavior for tests: short, deterministic backoff so retries take milliseconds. */
export function testBehavior(overrides: Partial<BehaviorConfig> = {}): BehaviorConfig {
  return {
    consumerGroup: "group-a",
    topic: "orders.created",
    maxRetries: 3,
    retryBackoff: { initial: 1, max: 4, multiplier: 2, jitter: 0 },
    commitInterval: "1h",
    shutdownTimeout: "2s",
    ...overrides,
  };
}

/** A logger that keeps what it is told, to assert on warnings. */
export function recordingLogger(): Logger & {
  lines: Array<{ level: string; message: string; fields?: unknown }>;
} {
  const lines: Array<{ level: string; message: string; fields?: unknown }> = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

export function consumerOptions(
  overrides: Partial<BehaviorConfig> = {},
  name = "order-processor",
): ConsumerOptions {
  return { name, behavior: testBehavior(overrides), logger: recordingLogger() };
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Publishes `count` messages whose payloads are "0", "1", … */
export async function publishNumbered(
  publish: (payload: Uint8Array, metadata: Record<string, string>) => Promise<string>,
  count: number,
  from = 0,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) ids.push(await publish(bytes(String(i)), { n: String(i) }));
  return ids;
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A two-partition source like a Kafka topic: messages are pushed in by the test; ownership can change. */
export function partitionedSource(topic: string) {
  const channel = pushChannel<Message>({ capacity: 1000 });
  const owned = new Set(["0", "1"]);
  const offsets: Record<string, number> = { "0": 0, "1": 0 };
  let onGroupChange: ((change: GroupChange) => void | Promise<void>) | undefined;
  const source: PubSubInterface & PartitionedSource = {
    publish: async () => "",
    subscribe: async (_topic, _group, options) => {
      options?.signal?.addEventListener("abort", () => channel.end());
      onGroupChange = options?.onGroupChange;
      return channel.iterable;
    },
    unsubscribe: async () => channel.end(),
    ownedPartitions: () => owned,
  };
  const push = (partition: string, body: string) => {
    const offset = (offsets[partition] ?? 0) + 1;
    offsets[partition] = offset;
    return channel.push({
      id: `${partition}/${offset}`,
      topic,
      payload: bytes(body),
      metadata: {},
      timestamp: Date.now(),
      position: { partition, offset },
      deliveryAttempt: 1,
    });
  };
  /** Tells the consumer of a group change, as a rebalancing source does, and waits as it would. */
  const changeGroup = async (change: GroupChange) => {
    await onGroupChange?.(change);
  };
  return { source, owned, push, changeGroup };
}

/** A message at `offset` of `partition`, its id made of both. */
export const positionedMessage = (partition: string, offset: number): Message => ({
  id: `${partition}/${offset}`,
  topic: "t",
  payload: new Uint8Array(),
  metadata: {},
  timestamp: 0,
  position: { partition, offset },
  deliveryAttempt: 1,
});
