import type { Message, QueueInterface } from "@prism/consumer-core/driver";
import { isClosable } from "@prism/consumer-core/driver";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { capabilityCases } from "./capability-cases.js";
import type { QueueFeatures } from "./features.js";
import {
  type ConformanceHarness,
  caseTimeout,
  deleteCreated,
  groupOf,
  newTopic,
  type ResolvedHarness,
  resolveHarness,
} from "./harness.js";
import { indexOf, metadataOf, payloadOf, range } from "./internal/messages.js";
import { sleep } from "./internal/reader.js";
import { queueUnderTest } from "./internal/source.js";
import { publishAll, sourceCases } from "./internal/source-cases.js";

export interface QueueConformanceOptions {
  readonly name: string;
  /**
   * A new, connected driver for each case; closed after it when it has `close()`. Configure its
   * redelivery of unsettled messages (visibility timeout, claim idle time) well below `harness.timeoutMs`.
   */
  readonly create: () => QueueInterface | Promise<QueueInterface>;
  readonly features: QueueFeatures;
  readonly harness?: ConformanceHarness;
}

/** Registers the queue conformance cases (vitest `describe`/`it`) for a driver. */
export function describeQueueConformance(options: QueueConformanceOptions): void {
  const harness = resolveHarness(options.harness);
  describe(`${options.name}: QueueInterface conformance`, { timeout: caseTimeout(harness) }, () => {
    let driver: QueueInterface | undefined;
    beforeEach(async () => {
      driver = await options.create();
    });
    afterEach(async () => {
      if (isClosable(driver)) await driver.close();
      driver = undefined;
    });
    afterAll(() => deleteCreated(harness));
    const queue = () => driver as QueueInterface;
    sourceCases(() => queueUnderTest(queue()), options.features, harness);
    settlementCases(queue, harness);
    capabilityCases(queue, harness);
  });
}

/** Takes `count` messages from a fresh receiver without settling them, then stops receiving. */
async function receive(
  driver: QueueInterface,
  queue: string,
  count: number,
  h: ResolvedHarness,
): Promise<Message[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), h.timeoutMs);
  const taken: Message[] = [];
  try {
    const group = groupOf(h, queue, "g");
    const iterable = await driver.receive(queue, { signal: abort.signal, group, consumerId: "taker" });
    for await (const message of iterable) {
      taken.push(message);
      if (taken.length === count) break;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  if (taken.length < count) throw new Error(`timed out: received ${taken.length} of ${count} messages`);
  return taken;
}

/** Nothing may arrive on `queue` for the quiet period. */
async function expectNothing(driver: QueueInterface, queue: string, h: ResolvedHarness): Promise<void> {
  const abort = new AbortController();
  const arrived: Message[] = [];
  const reading = (async () => {
    const group = groupOf(h, queue, "g");
    const iterable = await driver.receive(queue, { signal: abort.signal, group, consumerId: "watcher" });
    for await (const message of iterable) arrived.push(message);
  })();
  await sleep(h.quietMs);
  abort.abort();
  await reading;
  expect(arrived.map(indexOf)).toEqual([]);
}

/** The cases of explicit settlement, for a queue (or acknowledged subscriptions seen as one). */
export function settlementCases(queue: () => QueueInterface, h: ResolvedHarness): void {
  it("delivers a message rejected with requeue again, counting the delivery", async () => {
    const driver = queue();
    const name = newTopic(h, "requeue");
    await driver.enqueue(name, payloadOf(7), metadataOf(7));
    const [first] = await receive(driver, name, 1, h);
    await driver.reject(first as Message, true);
    const [again] = await receive(driver, name, 1, h);
    expect(indexOf(again as Message)).toBe(7);
    expect(again?.deliveryAttempt).toBeGreaterThan(first?.deliveryAttempt ?? 1);
    await driver.acknowledge(again as Message);
    await expectNothing(driver, name, h);
  });

  it("does not deliver a message again after it was acknowledged", async () => {
    const driver = queue();
    const name = newTopic(h, "acked");
    const count = Math.max(10, Math.floor(h.messageCount / 10));
    await publishAll(queueUnderTest(driver), name, range(count));
    const taken = await receive(driver, name, count, h);
    for (const message of taken) await driver.acknowledge(message);
    await expectNothing(driver, name, h);
  });

  it("drops a message rejected without requeue", async () => {
    const driver = queue();
    const name = newTopic(h, "dropped");
    await driver.enqueue(name, payloadOf(1), metadataOf(1));
    const [message] = await receive(driver, name, 1, h);
    await driver.reject(message as Message, false);
    await expectNothing(driver, name, h);
  });

  it("delivers again what a receiver took but never settled (a crashed consumer)", async () => {
    const driver = queue();
    const name = newTopic(h, "crash");
    await publishAll(queueUnderTest(driver), name, range(5));
    const abandoned = await receive(driver, name, 5, h);
    const recovered = await receive(driver, name, 5, h);
    for (const message of recovered) await driver.acknowledge(message);
    expect(recovered.map(indexOf).sort()).toEqual(abandoned.map(indexOf).sort());
    for (const message of recovered) expect(message.deliveryAttempt).toBeGreaterThan(1);
  });
}
