import type { Message, QueueInterface } from "@prism/consumer-core/driver";
import { isClosable } from "@prism/consumer-core/driver";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { capabilityCases } from "./capability-cases.js";
import { defaultMaxUnsettled, type QueueFeatures } from "./features.js";
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
import { sleep, take, takeUntil } from "./internal/reader.js";
import { rules } from "./internal/rules.js";
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
    settlementCases(queue, options.features, harness);
    capabilityCases(queue, harness);
  });
}

/**
 * Takes `count` messages from a fresh receiver without settling them, then stops receiving. `failure`
 * explains a shortfall in terms of the rule it breaks.
 */
async function receive(
  driver: QueueInterface,
  queue: string,
  count: number,
  h: ResolvedHarness,
  failure: (received: number) => string,
): Promise<Message[]> {
  const group = groupOf(h, queue, "g");
  const taken = await take(count, h.timeoutMs, (signal) =>
    driver.receive(queue, { signal, group, consumerId: "taker" }),
  );
  if (taken.length < count) throw new Error(failure(taken.length));
  return taken;
}

/** Acknowledges or rejects a message after its receive loop ended, as rule 1 allows. */
async function settle(what: string, settling: Promise<void>): Promise<void> {
  try {
    await settling;
  } catch (error) {
    throw new Error(rules.settleAfterLoop(what, error), { cause: error });
  }
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
  expect(
    arrived.map(indexOf),
    `messages arrived within quietMs (${h.quietMs} ms) that were acknowledged or dropped before: ` +
      "settling must be final (and quietMs must exceed the driver's redelivery delay)",
  ).toEqual([]);
}

/** The cases of explicit settlement, for a queue (or acknowledged subscriptions seen as one). */
export function settlementCases(
  queue: () => QueueInterface,
  features: { readonly maxUnsettled?: number | undefined },
  h: ResolvedHarness,
): void {
  const capacity = features.maxUnsettled ?? defaultMaxUnsettled;
  /** Receives `count` (at most the declared capacity) messages, none settled. */
  const take = (driver: QueueInterface, name: string, count: number) =>
    receive(driver, name, count, h, (received) => rules.capacity(capacity, received, count, h.timeoutMs));

  it("delivers a message rejected with requeue again, counting the delivery", async () => {
    const driver = queue();
    const name = newTopic(h, "requeue");
    await driver.enqueue(name, payloadOf(7), metadataOf(7));
    const [first] = await take(driver, name, 1);
    await settle("reject(message, requeue: true)", driver.reject(first as Message, true));
    const [again] = await receive(driver, name, 1, h, () =>
      rules.redelivery(h, "a message rejected with requeue was not delivered again"),
    );
    expect(indexOf(again as Message)).toBe(7);
    expect(again?.deliveryAttempt).toBeGreaterThan(first?.deliveryAttempt ?? 1);
    await settle("acknowledge", driver.acknowledge(again as Message));
    await expectNothing(driver, name, h);
  });

  it(`does not deliver a message again after it was acknowledged (holding up to ${capacity} at once)`, async () => {
    const driver = queue();
    const name = newTopic(h, "acked");
    const count = Math.min(Math.max(10, Math.floor(h.messageCount / 10)), capacity);
    await publishAll(queueUnderTest(driver), name, range(count));
    const taken = await take(driver, name, count);
    for (const message of taken) await settle("acknowledge", driver.acknowledge(message));
    await expectNothing(driver, name, h);
  });

  it("drops a message rejected without requeue", async () => {
    const driver = queue();
    const name = newTopic(h, "dropped");
    await driver.enqueue(name, payloadOf(1), metadataOf(1));
    const [message] = await take(driver, name, 1);
    await settle("reject(message, requeue: false)", driver.reject(message as Message, false));
    await expectNothing(driver, name, h);
  });

  it("delivers again what a stopped receiver took but never settled (a crashed consumer)", async () => {
    const driver = queue();
    const name = newTopic(h, "crash");
    const count = Math.min(5, capacity);
    await publishAll(queueUnderTest(driver), name, range(count));
    const abandoned = await take(driver, name, count);
    // At-least-once: a message may come back more than once (its redelivery delay can pass again while
    // this receiver waits for the others); every abandoned one must come back.
    const group = groupOf(h, name, "g");
    const recovered = await takeUntil(
      (taken) => new Set(taken.map(indexOf)).size === count,
      h.timeoutMs,
      (signal) => driver.receive(name, { signal, group, consumerId: "taker" }),
    );
    for (const message of recovered) await settle("acknowledge", driver.acknowledge(message));
    const cameBack = [...new Set(recovered.map(indexOf))].sort();
    if (cameBack.length < count) {
      throw new Error(rules.redelivery(h, `${cameBack.length} of the ${count} unsettled messages came back`));
    }
    expect(cameBack).toEqual(abandoned.map(indexOf).sort());
    for (const message of recovered) expect(message.deliveryAttempt).toBeGreaterThan(1);
  });
}
