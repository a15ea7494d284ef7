// Redis Streams. Raw: XREADGROUP COUNT n on a blocking connection, XACK of the whole batch pipelined
// behind the next read. Consumer: the Redis driver as a queue source, read with the same COUNT.
import { randomUUID } from "node:crypto";
import { silentLogger } from "@prism/consumer-core";
import { RedisDriver } from "@prism/driver-redis";
import { Redis } from "ioredis";
import { consumeFrom } from "../lib/prism.mjs";
import { serviceUrl } from "../lib/services.mjs";

export const title = "Redis Streams";
export const note =
  "raw reads XREADGROUP COUNT 256 and sends one XACK per batch, pipelined ahead of the next read; the driver reads with batch_size 256; the consumer acknowledges each message and takes the next while the XACK travels (pipelined, at most 1,024 in flight); the driver coalesces the XACKs in flight into one command.";
export const service = "redis";
/** A queue: the consumer acknowledges every message, so the suite adds a row with concurrency > 1. */
export const queue = true;
/** Messages per run, by payload size. */
export const messages = { full: { 16: 100_000, 1024: 100_000 }, quick: { 16: 10_000, 1024: 10_000 } };
/** Entries per XREADGROUP, for the raw loop and the driver (`batchSize`) alike. */
export const readCount = 256;

export async function open() {
  const client = new Redis(serviceUrl("redis"), { lazyConnect: true });
  await client.connect();
  return { client, prefix: `prism-bench:${randomUUID()}`, topics: 0, groups: 0 };
}

export async function close(ctx) {
  ctx.client.disconnect();
}

/** A new stream with `count` entries in the driver's format (payload, metadata, ts), 1,000 per pipeline. */
export async function prepare(ctx, { count, payload }) {
  const stream = `${ctx.prefix}:${++ctx.topics}`;
  const publish = publisher(ctx, stream);
  for (let sent = 0; sent < count; sent += 1000) {
    await publish(Array.from({ length: Math.min(1000, count - sent) }, () => payload));
  }
  if (count === 0) await ctx.client.xgroup("CREATE", stream, "init", "0", "MKSTREAM");
  return stream;
}

export async function drop(ctx, stream) {
  await ctx.client.del(stream);
}

export function publisher(ctx, stream) {
  return (payloads) => {
    const pipeline = ctx.client.pipeline();
    for (const payload of payloads) {
      pipeline.xadd(stream, "*", "payload", Buffer.from(payload), "metadata", "{}", "ts", String(Date.now()));
    }
    return pipeline.exec();
  };
}

export async function raw(ctx, stream, sink) {
  const group = `raw-${++ctx.groups}`;
  await ctx.client.xgroup("CREATE", stream, group, "0");
  const reader = ctx.client.duplicate();
  let running = true;
  const loop = (async () => {
    while (running) {
      const reply = await reader.xreadgroupBuffer(
        "GROUP",
        group,
        "raw",
        "COUNT",
        readCount,
        "BLOCK",
        200,
        "STREAMS",
        stream,
        ">",
      );
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      const ids = [];
      for (const [id, fields] of entries) {
        ids.push(id);
        sink(fields[1]); // prepare() and publisher() write the payload as the first field
      }
      // Not awaited: the acknowledgement travels in the pipeline ahead of the next read.
      reader.xack(stream, group, ...ids);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      reader.disconnect();
    },
  };
}

export async function consumer(ctx, stream, sink, { behavior, beforeStart }) {
  const driver = await RedisDriver.connect({
    url: serviceUrl("redis"),
    batchSize: readCount,
    logger: silentLogger,
  });
  return consumeFrom(driver, { topic: stream, group: `prism-${++ctx.groups}`, sink, behavior, beforeStart });
}
