// Kafka, one partition. Raw: kafkajs eachBatch over the batch's messages, offsets committed every 5 s
// (as the consumer checkpoints). Consumer: the Kafka driver as a pub/sub source (the checkpoint is the
// position), through its bounded channel.
import { randomUUID } from "node:crypto";
import { silentLogger } from "@prism/consumer-core";
import { KafkaDriver } from "@prism/driver-kafka";
import { Kafka, logLevel } from "kafkajs";
import { consumeFrom } from "../lib/prism.mjs";
import { kafkaBrokers } from "../lib/services.mjs";

export const title = "Kafka";
export const note =
  "one partition; raw is kafkajs eachBatch with offsets committed every 5 s; the consumer uses the driver as pub/sub (no Kafka commits, the checkpoint is the position). Both are timed from their first message: a member new to a partition starts reading it one heartbeat (1 s) after joining, waiting out a previous owner's last commit, and the raw loop's join is not timed either.";
/** Readiness (positioning after the group join) comes after subscribing: timed from the first message. */
export const timedFromFirstDelivery = true;
export const service = "kafka";
/** Messages per run, by payload size. */
export const messages = { full: { 16: 100_000, 1024: 100_000 }, quick: { 16: 10_000, 1024: 10_000 } };

export async function open() {
  const kafka = new Kafka({ clientId: "prism-bench", brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  return { kafka, admin, producer, id: randomUUID().slice(0, 8), topics: 0, groups: 0 };
}

export async function close(ctx) {
  await Promise.all([ctx.producer.disconnect(), ctx.admin.disconnect()]);
}

/** A new one-partition topic with `count` messages, sent 1,000 per request. */
export async function prepare(ctx, { count, payload }) {
  const topic = `prism-bench-${ctx.id}-${++ctx.topics}`;
  await ctx.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const publish = publisher(ctx, topic);
  for (let sent = 0; sent < count; sent += 1000) {
    await publish(Array.from({ length: Math.min(1000, count - sent) }, () => payload));
  }
  return topic;
}

export async function drop(ctx, topic) {
  await ctx.admin.deleteTopics({ topics: [topic] });
}

export function publisher(ctx, topic) {
  return (payloads) =>
    ctx.producer.send({ topic, messages: payloads.map((payload) => ({ value: Buffer.from(payload) })) });
}

export async function raw(ctx, topic, sink) {
  const consumer = ctx.kafka.consumer({ groupId: `raw-${ctx.id}-${++ctx.groups}` });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 5000,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) sink(message.value);
    },
  });
  await joined;
  return { stop: () => consumer.disconnect() };
}

export function consumer(ctx, topic, sink, options) {
  return consumerOn(KafkaDriver, ctx, topic, sink, options);
}

/** The consumer variant on a Kafka driver class (this row's, or @platformatic/kafka's). */
export async function consumerOn(Driver, ctx, topic, sink, { behavior, beforeStart }) {
  const driver = await Driver.connect({ brokers: kafkaBrokers(), logger: silentLogger });
  return consumeFrom(driver, {
    topic,
    group: `prism-${ctx.id}-${++ctx.groups}`,
    sink,
    behavior,
    beforeStart,
  });
}
