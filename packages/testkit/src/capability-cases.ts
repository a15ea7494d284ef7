import type { Message, QueueInterface } from "@prism/consumer-core/driver";
import { isBrowsableQueue, isLagReporting } from "@prism/consumer-core/driver";
import { expect, it } from "vitest";
import { groupOf, newTopic, type ResolvedHarness } from "./harness.js";
import { indexOf, metadataOf, payloadOf, range } from "./internal/messages.js";
import { sleep } from "./internal/reader.js";

/**
 * Cases of the optional capabilities a queue may have, each run only when the driver implements it:
 * `LagReporting` (how far a group is behind) and `BrowsableQueue` (read without receiving, remove by id).
 */
export function capabilityCases(queue: () => QueueInterface, h: ResolvedHarness): void {
  it("LagReporting: counts what a group has not consumed", async (context) => {
    const driver = queue();
    if (!isLagReporting(driver)) return context.skip("no LagReporting");
    const name = newTopic(h, "lag");
    const group = groupOf(h, name, "g");
    for (const i of range(3)) await driver.enqueue(name, payloadOf(i), metadataOf(i));
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), h.timeoutMs);
    const taken: Message[] = [];
    try {
      const iterable = await driver.receive(name, { signal: abort.signal, group, consumerId: "lag" });
      for await (const message of iterable) {
        await driver.acknowledge(message);
        if (taken.push(message) === 3) break;
      }
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
    expect(taken.map(indexOf).sort()).toEqual([0, 1, 2]);
    for (const i of range(2, 3)) await driver.enqueue(name, payloadOf(i), metadataOf(i));
    let total = -1;
    const deadline = Date.now() + h.timeoutMs;
    while (Date.now() < deadline) {
      const lag = await driver.consumerLag(name, group);
      for (const value of Object.values(lag)) expect(Number.isInteger(value) && value >= 0).toBe(true);
      total = Object.values(lag).reduce((sum, value) => sum + value, 0);
      if (total === 2) break;
      await sleep(200);
    }
    expect(total).toBe(2);
  });

  it("BrowsableQueue: browses without receiving, pages with `after`, removes by id", async (context) => {
    const driver = queue();
    if (!isBrowsableQueue(driver)) return context.skip("no BrowsableQueue");
    const name = newTopic(h, "browse");
    for (const i of range(3)) await driver.enqueue(name, payloadOf(i), metadataOf(i, { note: `n${i}` }));
    const all = await driver.browse(name);
    expect(all.map(indexOf)).toEqual([0, 1, 2]);
    expect(all[1]?.metadata.note).toBe("n1");
    expect(all.every((message) => message.topic === name)).toBe(true);
    const page = await driver.browse(name, { after: all[0]?.id as string, limit: 1 });
    expect(page.map(indexOf)).toEqual([1]);
    expect(await driver.remove(name, [all[1]?.id as string, "999999999"])).toBe(1);
    expect((await driver.browse(name)).map(indexOf)).toEqual([0, 2]);
    // Browsing took nothing: a receiver still gets both.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), h.timeoutMs);
    const received: number[] = [];
    try {
      const group = groupOf(h, name, "g");
      const iterable = await driver.receive(name, { signal: abort.signal, group, consumerId: "browse" });
      for await (const message of iterable) {
        await driver.acknowledge(message);
        if (received.push(indexOf(message)) === 2) break;
      }
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
    expect(received.sort()).toEqual([0, 2]);
  });
}
