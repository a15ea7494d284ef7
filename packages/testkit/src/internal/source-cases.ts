import type { CheckpointLookup, Message, Offset } from "@prism/consumer-core/driver";
import { isResumableSource } from "@prism/consumer-core/driver";
import { expect, it } from "vitest";
import type { SourceFeatures } from "../features.js";
import { caseTimeout, groupOf, newTopic, type ResolvedHarness } from "../harness.js";
import { indexOf, range } from "./messages.js";
import { type Reader, sleep, within } from "./reader.js";
import type { SourceUnderTest } from "./source.js";

/** Publishes in small concurrent chunks: fast on every backend, still in rough order. */
export async function publishAll(source: SourceUnderTest, topic: string, indexes: number[]): Promise<void> {
  for (let i = 0; i < indexes.length; i += 20) {
    await Promise.all(indexes.slice(i, i + 20).map((index) => source.publish(topic, index)));
  }
}

const distinct = (readers: Reader[]) => new Set(readers.flatMap((r) => r.messages.map(indexOf)));

async function waitForDistinct(
  readers: Reader[],
  count: number,
  timeoutMs: number,
  rule = "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (distinct(readers).size < count) {
    for (const reader of readers) if (reader.error) throw reader.error;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms: ${distinct(readers).size} of ${count} distinct messages arrived${rule}`,
      );
    }
    await sleep(5);
  }
}

/** The cases every message source runs, pub/sub or queue. */
export function sourceCases(
  source: () => SourceUnderTest,
  features: SourceFeatures,
  h: ResolvedHarness,
): void {
  const n = h.messageCount;

  it(`delivers each of ${n} published messages once, with payload and metadata intact`, async () => {
    const s = source();
    const topic = newTopic(h, "once");
    const started = Date.now();
    const reader = await s.read(topic, groupOf(h, topic, "g"));
    await publishAll(s, topic, range(n));
    await reader.waitFor(n, h.timeoutMs);
    await sleep(h.quietMs);
    await reader.stop();
    expect(reader.messages.map(indexOf).sort((a, b) => a - b)).toEqual(range(n));
    expect(new Set(reader.messages.map((m) => m.id)).size).toBe(n);
    for (const message of reader.messages) {
      expect(message.topic).toBe(topic);
      expect(message.deliveryAttempt).toBe(1);
      expect(message.timestamp).toBeGreaterThan(started - 60_000);
      expect(message.timestamp).toBeLessThan(Date.now() + 60_000);
      if (message.position !== undefined) expect(typeof message.position.partition).toBe("string");
    }
  });

  it.runIf(features.membersShare)(
    "membersShare: readers of one group share the messages; together they get all",
    async () => {
      const s = source();
      const topic = newTopic(h, "shared");
      const readers = await Promise.all(
        [1, 2, 3, 4].map((m) => s.read(topic, groupOf(h, topic, "g"), `m${m}`)),
      );
      await publishAll(s, topic, range(n));
      await waitForDistinct(readers, n, h.timeoutMs, membersShareRule);
      await Promise.all(readers.map((r) => r.stop()));
      expect([...distinct(readers)].sort((a, b) => a - b)).toEqual(range(n));
    },
  );

  it("keeps topics isolated", async () => {
    const s = source();
    const perTopic = Math.max(10, Math.floor(n / 10));
    const topics = [1, 2, 3].map((t) => newTopic(h, `iso${t}`));
    const readers = await Promise.all(topics.map((topic) => s.read(topic, groupOf(h, topic, "g"))));
    await Promise.all(topics.map((topic, t) => publishAll(s, topic, range(perTopic, t * 100_000))));
    await Promise.all(readers.map((r) => r.waitFor(perTopic, h.timeoutMs)));
    await sleep(h.quietMs);
    await Promise.all(readers.map((r) => r.stop()));
    readers.forEach((reader, t) => {
      expect(reader.messages.every((m) => m.topic === topics[t])).toBe(true);
      expect(reader.messages.map(indexOf).sort((a, b) => a - b)).toEqual(range(perTopic, t * 100_000));
    });
  });

  it.runIf(features.keepsWhileIdle)(
    "keepsWhileIdle: loses nothing when a reader stops and a new one of its group continues",
    async () => {
      const s = source();
      const topic = newTopic(h, "handover");
      const first = await s.read(topic, groupOf(h, topic, "g"), "first");
      await publishAll(s, topic, range(n));
      await first.waitFor(Math.floor(n / 2), h.timeoutMs);
      await first.stop();
      const second = await s.read(topic, groupOf(h, topic, "g"), "second");
      await waitForDistinct([first, second], n, h.timeoutMs, keepsWhileIdleRule);
      await second.stop();
    },
  );

  it.runIf(features.keepsWhileIdle)(
    "keepsWhileIdle: what is sent while a group has no reader reaches its next reader",
    async () => {
      const s = source();
      const topic = newTopic(h, "idle");
      const group = groupOf(h, topic, "g");
      // The group exists (it had a reader), then no one listens while the messages are sent.
      await (await s.read(topic, group, "before")).stop();
      await publishAll(s, topic, range(n));
      const reader = await s.read(topic, group, "after");
      await waitForDistinct([reader], n, h.timeoutMs, keepsWhileIdleRule);
      await reader.stop();
    },
  );

  it("ends many subscriptions closed at once, promptly and without errors", async () => {
    const s = source();
    const topic = newTopic(h, "close");
    const readers = await Promise.all(
      range(10).map((i) => s.read(topic, groupOf(h, topic, `g${i % 3}`), `m${i}`)),
    );
    await publishAll(s, topic, range(30));
    expect(await within(Promise.all(readers.map((r) => r.stop())), h.timeoutMs)).toBe(true);
    for (const reader of readers) expect(reader.error).toBeUndefined();
  });

  it.runIf(features.ordered)("keeps publish order for a single subscriber (per partition)", async () => {
    const s = source();
    const topic = newTopic(h, "order");
    const reader = await s.read(topic, groupOf(h, topic, "g"));
    for (const i of range(n)) await s.publish(topic, i);
    await reader.waitFor(n, h.timeoutMs);
    await reader.stop();
    const byPartition = new Map<string, number[]>();
    for (const message of reader.messages.filter((m) => m.deliveryAttempt === 1)) {
      const partition = message.position?.partition ?? "";
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), indexOf(message)]);
    }
    for (const indexes of byPartition.values()) expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
  });

  it.runIf(features.everyGroupGetsAll)("everyGroupGetsAll: two groups each get every message", async () => {
    const s = source();
    const topic = newTopic(h, "groups");
    const groupA = [await s.read(topic, groupOf(h, topic, "group-a"), "a1")];
    const groupB = [await s.read(topic, groupOf(h, topic, "group-b"), "b1")];
    await publishAll(s, topic, range(n));
    const rule = ". Rule (everyGroupGetsAll): each group of a topic gets every message";
    await waitForDistinct(groupA, n, h.timeoutMs, rule);
    await waitForDistinct(groupB, n, h.timeoutMs, rule);
    await Promise.all([...groupA, ...groupB].map((r) => r.stop()));
    expect(distinct(groupA).size).toBe(n);
    expect(distinct(groupB).size).toBe(n);
  });

  it.runIf(features.readsHistory)(
    "readsHistory: a new group receives what was published before it",
    async () => {
      const s = source();
      const topic = newTopic(h, "old");
      await publishAll(s, topic, range(n));
      const reader = await s.read(topic, groupOf(h, topic, "late-group"));
      await waitForDistinct(
        [reader],
        n,
        h.timeoutMs,
        ". Rule (readsHistory): a new group starts at the beginning",
      );
      await reader.stop();
      expect(distinct([reader]).size).toBe(n);
    },
  );

  it.runIf(features.resumable)("resumes right after a stored position", async () => {
    const s = source();
    if (!isResumableSource(s.driver))
      throw new Error("features.resumable is true but resumeAfter is missing");
    const topic = newTopic(h, "resume");
    await publishAll(s, topic, range(n));
    const first = await s.read(topic, groupOf(h, topic, "first"));
    await first.waitFor(n, h.timeoutMs);
    await first.stop();
    // Per partition, checkpoint the middle message: everything after it must come, nothing before it.
    const byPartition = new Map<string, Message[]>();
    for (const message of first.messages) {
      const partition = message.position?.partition;
      if (partition === undefined) throw new Error("a resumable source must give messages a position");
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), message]);
    }
    const checkpoints = new Map<string, Offset>();
    const expected = new Set<number>();
    for (const [partition, messages] of byPartition) {
      const cut = Math.floor(messages.length / 2);
      if (cut > 0) checkpoints.set(partition, (messages[cut - 1] as Message).position?.offset as Offset);
      for (const message of messages.slice(cut)) expected.add(indexOf(message));
    }
    const lookup: CheckpointLookup = async (partition) => checkpoints.get(partition);
    await s.driver.resumeAfter(topic, groupOf(h, topic, "second"), lookup);
    const second = await s.read(topic, groupOf(h, topic, "second"));
    await second.waitFor(expected.size, h.timeoutMs);
    await sleep(h.quietMs);
    await second.stop();
    expect([...distinct([second])].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
  });

  const interruptions = [
    { name: "the server restarts", interrupt: h.restartServer },
    { name: "its connections are cut (server up)", interrupt: h.cutConnections },
  ];
  for (const { name, interrupt } of interruptions) {
    it.runIf(interrupt !== undefined && features.keepsWhileIdle)(
      `reconnects after ${name} mid-stream, losing nothing`,
      async () => {
        const s = source();
        const topic = newTopic(h, "reconnect");
        const half = Math.floor(n / 2);
        const reader = await s.read(topic, groupOf(h, topic, "g"));
        await publishAll(s, topic, range(half));
        await reader.waitFor(half, h.timeoutMs);
        await interrupt?.();
        // The publisher's job: retry until the backend accepts again.
        for (const index of range(n - half, half)) {
          const deadline = Date.now() + h.timeoutMs;
          for (;;) {
            try {
              await s.publish(topic, index);
              break;
            } catch (error) {
              if (Date.now() > deadline) throw error;
              await sleep(100);
            }
          }
        }
        await waitForDistinct(
          [reader],
          n,
          h.timeoutMs,
          ". Rule: a reader survives a lost connection (the driver reconnects by itself) and loses nothing",
        );
        await reader.stop();
      },
      caseTimeout(h) + 60_000,
    );
  }
}

const membersShareRule =
  ". Rule (membersShare): readers of one group each get a part, and together every message";
const keepsWhileIdleRule = ". Rule (keepsWhileIdle): what a group has not consumed waits for its next reader";
