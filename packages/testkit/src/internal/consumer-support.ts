import type {
  DriverFactory,
  KeyValueBasicInterface,
  Message,
  PubSubInterface,
  QueueInterface,
} from "@prism/consumer-core/driver";
import { isAcknowledgedSubscriptions, isClosable, PermanentError } from "@prism/consumer-core/driver";
import { take } from "./reader.js";

/** The name under which the kit registers its own in-memory state store in the YAML it writes. */
export const stateDriverName = "prism-conformance-state";
/** The `name` of the consumers the kit builds (part of their state key). */
export const consumerName = "conformance-consumer";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const order = (n: number) => encoder.encode(String(n));
export const orderOf = (message: Message) => decoder.decode(message.payload);

/** An in-memory state store: it outlives the consumers of a case, as a real one outlives processes. */
export function memoryStateStore(): KeyValueBasicInterface {
  const values = new Map<string, Uint8Array>();
  return {
    set: async (key, value) => void values.set(key, value),
    get: async (key) => values.get(key),
    delete: async (key) => void values.delete(key),
    exists: async (key) => values.has(key),
  };
}

/** The consumer YAML of a case: the driver under test as message source and dead-letter queue. */
export function consumerYaml(c: {
  readonly driver: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly source: "queue" | "pubsub";
  /** The driver under test keeps the state too; otherwise the kit's in-memory store does. */
  readonly stateStore: boolean;
  readonly topic: string;
  readonly group: string;
}): string {
  // JSON is YAML: the slot config is written as a flow mapping, exactly as the driver gets it.
  const config = JSON.stringify(c.config);
  return `name: ${consumerName}
slots:
  message_source:
    driver: ${JSON.stringify(c.driver)}
    interface: ${c.source}
    config: ${config}
  state_store:
${c.stateStore ? `    driver: ${JSON.stringify(c.driver)}\n    config: ${config}` : `    driver: ${stateDriverName}`}
  dead_letter_queue:
    driver: ${JSON.stringify(c.driver)}
    config: ${config}
behavior:
  consumer_group: ${JSON.stringify(c.group)}
  topic: ${JSON.stringify(c.topic)}
  max_retries: 2
  retry_backoff:
    initial: 1ms
    max: 4ms
  commit_interval: 1h
  shutdown_timeout: 5s
`;
}

/**
 * Processes orders "0", "1", …, recording them: `malformed` ones fail at once (PermanentError),
 * `declined` ones fail every attempt (a plain error, retried until the attempts run out).
 */
export function orderProcessor(
  processed: string[],
  fail: { readonly malformed?: readonly string[]; readonly declined?: readonly string[] } = {},
) {
  return (message: Message) => {
    const n = orderOf(message);
    if (fail.malformed?.includes(n)) throw new PermanentError(`order ${n} is malformed`);
    if (fail.declined?.includes(n)) throw new Error(`payment for order ${n} was declined`);
    processed.push(n);
  };
}

/** Opens the driver under test directly, as the consumer's factory would. */
export async function openDriver(
  factory: DriverFactory,
  config: Readonly<Record<string, unknown>>,
): Promise<QueueInterface & PubSubInterface> {
  const driver = await factory(config, {
    slot: "messageSource",
    path: "conformance.config",
    logger: undefined,
  });
  return driver as QueueInterface & PubSubInterface;
}

export async function closeDriver(driver: unknown): Promise<void> {
  if (isClosable(driver)) await driver.close();
}

/**
 * Takes up to `count` messages as a member of `group`, settles none, then stops reading: a member that
 * crashed. Returns what it took.
 */
export function abandonReceive(
  driver: QueueInterface & PubSubInterface,
  source: "queue" | "pubsub",
  topic: string,
  group: string,
  count: number,
  timeoutMs: number,
): Promise<Message[]> {
  return take(count, timeoutMs, async (signal) => {
    if (source === "queue") return driver.receive(topic, { signal, group, consumerId: "crashed-member" });
    if (isAcknowledgedSubscriptions(driver)) return driver.subscribeAcknowledged(topic, group, { signal });
    return driver.subscribe(topic, group, { signal });
  });
}

/** Reads `count` dead letters from `queue` as the group `group`, acknowledging them. */
export function readDeadLetters(
  driver: QueueInterface,
  queue: string,
  group: string,
  count: number,
  timeoutMs: number,
): Promise<Message[]> {
  return take(
    count,
    timeoutMs,
    (signal) => driver.receive(queue, { signal, group }),
    (message) => driver.acknowledge(message),
  );
}

export async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  failure: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
