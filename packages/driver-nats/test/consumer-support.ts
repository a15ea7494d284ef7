import { type BehaviorConfig, type Message, PermanentError } from "@prism/consumer-core";
import type { NatsDriver } from "../src/index.js";

export const bytes = (text: string) => new TextEncoder().encode(text);
export const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Fast, deterministic retries; commits only on stop so the stored state is predictable. */
export function behavior(overrides: Partial<BehaviorConfig> = {}): BehaviorConfig {
  return {
    consumerGroup: "order-processor-group",
    topic: "orders.created",
    maxRetries: 2,
    retryBackoff: { initial: 1, max: 4, multiplier: 2, jitter: 0 },
    commitInterval: "1h",
    shutdownTimeout: "2s",
    ...overrides,
  };
}

/**
 * Processes orders "0", "1", …: `malformed` ones fail at once (PermanentError), `declined` ones fail
 * every attempt (a plain error, retried until the attempts run out).
 */
export function processor(processed: string[], fail: { malformed?: string[]; declined?: string[] } = {}) {
  return (message: Message) => {
    const order = text(message.payload);
    if (fail.malformed?.includes(order)) throw new PermanentError(`order ${order} is malformed`);
    if (fail.declined?.includes(order)) throw new Error(`payment for order ${order} was declined`);
    processed.push(order);
  };
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Takes `count` messages off a NATS queue as the group "inspector", acknowledging them. */
export async function drain(driver: NatsDriver, queue: string, count: number): Promise<Message[]> {
  const abort = new AbortController();
  const taken: Message[] = [];
  const timer = setTimeout(() => abort.abort(), 10_000);
  for await (const message of await driver.receive(queue, { group: "inspector", signal: abort.signal })) {
    taken.push(message);
    await driver.acknowledge(message);
    if (taken.length === count) break;
  }
  clearTimeout(timer);
  return taken;
}
