import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { bytes, consumerOptions, deferred, partitionedSource, text, waitFor } from "../test/helpers.js";
import { Consumer } from "./consumer.js";

const topic = "payments";

describe("partitioned sources", () => {
  it('with ordering "partition" keeps each partition in order while partitions run in parallel', async () => {
    const store = new MemStore();
    const { source, push } = partitionedSource(topic);
    const running = new Map<string, number>();
    let parallelPartitions = 0;
    const order: Record<string, string[]> = { "0": [], "1": [] };
    const consumer = new Consumer(consumerOptions({ topic, concurrency: 4, ordering: "partition" }))
      .bindSlots(source, store)
      .setProcessor(async (message) => {
        const partition = message.position?.partition as string;
        running.set(partition, (running.get(partition) ?? 0) + 1);
        expect(running.get(partition)).toBe(1);
        parallelPartitions = Math.max(parallelPartitions, [...running.values()].filter((n) => n > 0).length);
        // Later messages are faster: without per-partition order they would overtake earlier ones.
        await new Promise((resolve) => setTimeout(resolve, 10 - Number(text(message.payload))));
        order[partition]?.push(text(message.payload));
        running.set(partition, (running.get(partition) ?? 1) - 1);
      });
    await consumer.start();
    for (let i = 0; i < 6; i++) {
      await push("0", String(i));
      await push("1", String(i));
    }
    await waitFor(() => consumer.health().counters.processed === 12, "12 processed");
    await consumer.stop();
    expect(order).toEqual({ "0": ["0", "1", "2", "3", "4", "5"], "1": ["0", "1", "2", "3", "4", "5"] });
    expect(parallelPartitions).toBe(2);
  });

  it("never moves back a partition another member checkpointed further", async () => {
    const store = new MemStore();
    const { source, owned, push } = partitionedSource(topic);
    const consumer = new Consumer(consumerOptions({ topic, autoCommit: false })).bindSlots(source, store);
    consumer.setProcessor(() => {});
    // Another member of the group has checkpointed partition 1 at offset 40.
    await store.set(
      consumer.stateKey,
      bytes(JSON.stringify({ offset: 40, offsets: { "1": 40 }, last_message_id: "1/40", retry_count: 0 })),
    );
    await consumer.start();
    await push("0", "a");
    await push("1", "b");
    await waitFor(() => consumer.health().counters.processed === 2, "2 processed");
    owned.delete("1"); // partition 1 moved to the other member before the commit
    const state = await consumer.commit();
    expect(state.offsets).toEqual({ "0": 1, "1": 40 });
    await consumer.stop();
  });

  it("without ordering lets later messages of a partition finish first, checkpointing only the finished prefix", async () => {
    const store = new MemStore();
    const { source, push } = partitionedSource(topic);
    const slow = deferred();
    const consumer = new Consumer(consumerOptions({ topic, concurrency: 4, autoCommit: false }))
      .bindSlots(source, store)
      .setProcessor(async (message) => {
        if (message.id === "0/1") await slow.promise;
      });
    await consumer.start();
    for (const body of ["a", "b", "c"]) await push("0", body);
    await push("1", "d");
    await waitFor(() => consumer.health().counters.processed === 3, "3 processed");
    expect((await consumer.commit()).offsets).toEqual({ "1": 1 });
    slow.resolve();
    await waitFor(() => consumer.health().counters.processed === 4, "4 processed");
    expect((await consumer.commit()).offsets).toEqual({ "0": 3, "1": 1 });
    await consumer.stop();
  });
});
