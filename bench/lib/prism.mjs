import { Consumer, silentLogger } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";

/**
 * Starts a Prism `Consumer` whose (no-op) processor hands each payload to `sink`. `behavior` overrides the
 * defaults (concurrency 1, batching off, commit every 5 s); `beforeStart(consumer)` may add middleware.
 * Resolves once it consumes.
 */
export async function startConsumer({
  source,
  stateStore,
  topic,
  group,
  sink,
  behavior = {},
  bindOptions,
  beforeStart,
}) {
  const consumer = new Consumer({
    name: "bench",
    behavior: { consumerGroup: group, topic, ...behavior },
    logger: silentLogger,
  }).bindSlots(source, stateStore, undefined, bindOptions);
  if ((behavior.batchSize ?? 0) > 0) {
    consumer.setBatchProcessor((messages) => {
      for (const message of messages) sink(message.payload);
    });
  } else {
    consumer.setProcessor((message) => sink(message.payload));
  }
  beforeStart?.(consumer);
  await consumer.start();
  return consumer;
}

/**
 * A consumer on a connected remote `driver`, its state in a fresh memstore (commits cost nothing, so the
 * row measures the source). `beforeStart(driver)` may return a hook that adds middleware (telemetry).
 * `stop()` stops it and closes the driver.
 */
export async function consumeFrom(driver, { topic, group, sink, behavior, beforeStart }) {
  const consumer = await startConsumer({
    source: driver,
    stateStore: new MemStore(),
    topic,
    group,
    sink,
    behavior,
    beforeStart: beforeStart?.(driver),
  });
  return {
    consumer,
    async stop() {
      await consumer.stop();
      await driver.close();
    },
  };
}
