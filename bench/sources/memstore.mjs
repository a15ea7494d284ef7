// In-process memstore: the raw loop iterates a subscription; the consumer reads the same kind of log.
import { MemStore } from "@prism/driver-memstore";
import { startConsumer } from "../lib/prism.mjs";

export const title = "memstore";
export const note =
  "in process; raw iterates a subscription of the same store (no acknowledgements). 200,000 messages at 1 KiB to keep the prepared log small.";
export const service = undefined;
/** Messages per run, by payload size. */
export const messages = { full: { 16: 1_000_000, 1024: 200_000 }, quick: { 16: 100_000, 1024: 20_000 } };

export async function open() {
  return { stores: new Map(), topics: 0 };
}

export async function close() {}

/** A new store per topic holding `count` messages; groups that join later start at the first. */
export async function prepare(ctx, { count, payload }) {
  const topic = `bench-${++ctx.topics}`;
  const store = new MemStore({ capacity: Math.max(count, 10_000) });
  ctx.stores.set(topic, { store, groups: 0 });
  await publisher(ctx, topic)(Array.from({ length: count }, () => payload));
  return topic;
}

export async function drop(ctx, topic) {
  ctx.stores.delete(topic);
}

export function publisher(ctx, topic) {
  const { store } = ctx.stores.get(topic);
  return async (payloads) => {
    for (const payload of payloads) await store.publish(topic, payload);
  };
}

export async function raw(ctx, topic, sink) {
  const entry = ctx.stores.get(topic);
  const abort = new AbortController();
  const messages = await entry.store.subscribe(topic, `raw-${++entry.groups}`, { signal: abort.signal });
  const loop = (async () => {
    for await (const message of messages) sink(message.payload);
  })();
  return {
    async stop() {
      abort.abort();
      await loop;
    },
  };
}

export async function consumer(ctx, topic, sink, { behavior, stateStore, beforeStart }) {
  const entry = ctx.stores.get(topic);
  const consumer = await startConsumer({
    source: entry.store,
    stateStore: stateStore ?? new MemStore(),
    topic,
    group: `prism-${++entry.groups}`,
    sink,
    behavior,
    beforeStart: beforeStart?.(entry.store),
  });
  return { consumer, stop: () => consumer.stop() };
}
