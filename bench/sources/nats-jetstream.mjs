// NATS JetStream, file storage. Raw: a durable pull consumer read with consume() and ack() per message.
// Consumer: the NATS driver's JetStream pub/sub (a durable per group, acknowledged on hand-over).
import { randomUUID } from "node:crypto";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { silentLogger } from "@prism/consumer-core";
import { NatsDriver } from "@prism/driver-nats";
import { consumeFrom } from "../lib/prism.mjs";
import { serviceUrl } from "../lib/services.mjs";

export const title = "NATS JetStream";
export const note =
  "file storage; raw uses consume({ max_messages: 256 }) and ack() per message; the driver pulls 256 ahead (fetch_batch) and acks on hand-over, the acks of one event-loop turn in one socket write.";
export const service = "nats";
/** Messages per run, by payload size. */
export const messages = { full: { 16: 100_000, 1024: 100_000 }, quick: { 16: 10_000, 1024: 10_000 } };
/** Messages pulled ahead, for consume() and the driver (`fetchBatch`) alike. */
export const pullBatch = 256;

export async function open() {
  const nc = await connect({ servers: serviceUrl("nats") });
  const id = randomUUID().replaceAll("-", "").slice(0, 12);
  return {
    nc,
    jsm: await jetstreamManager(nc, { timeout: 30_000 }),
    js: jetstream(nc, { timeout: 30_000 }),
    id,
    topics: 0,
    groups: 0,
  };
}

export async function close(ctx) {
  await ctx.nc.close();
}

/** A new stream (file storage) with `count` messages, published with up to 1,000 acks outstanding. */
export async function prepare(ctx, { count, payload }) {
  const n = ++ctx.topics;
  const subject = `prism-bench.${ctx.id}.${n}`;
  await ctx.jsm.streams.add({ name: streamName(ctx, n), subjects: [subject] });
  const publish = publisher(ctx, subject);
  for (let sent = 0; sent < count; sent += 1000) {
    await publish(Array.from({ length: Math.min(1000, count - sent) }, () => payload));
  }
  return subject;
}

export async function drop(ctx, subject) {
  await ctx.jsm.streams.delete(streamName(ctx, Number(subject.split(".").at(-1))));
}

export function publisher(ctx, subject) {
  return (payloads) => Promise.all(payloads.map((payload) => ctx.js.publish(subject, payload)));
}

export async function raw(ctx, subject, sink) {
  const stream = await ctx.jsm.streams.find(subject);
  const durable = `raw-${++ctx.groups}`;
  await ctx.jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
  });
  const pull = await ctx.js.consumers.get(stream, durable);
  const messages = await pull.consume({ max_messages: pullBatch });
  const loop = (async () => {
    for await (const message of messages) {
      sink(message.data);
      message.ack();
    }
  })();
  return {
    async stop() {
      messages.stop();
      await loop;
    },
  };
}

export async function consumer(ctx, subject, sink, { behavior, beforeStart }) {
  const driver = await NatsDriver.connect({
    url: serviceUrl("nats"),
    fetchBatch: pullBatch,
    logger: silentLogger,
  });
  return consumeFrom(driver, { topic: subject, group: `prism-${++ctx.groups}`, sink, behavior, beforeStart });
}

function streamName(ctx, n) {
  return `PRISM_BENCH_${ctx.id}_${n}`;
}
