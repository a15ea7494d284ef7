// Core NATS (at-most-once, no storage): nothing can be published ahead, so a child process floods the
// subject once the reader is subscribed (see `flood`). Raw: a subscription's async iterator. Consumer: the
// NATS driver with `jetstream: false`, its buffer raised above the message count so nothing is dropped.
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { silentLogger } from "@prism/consumer-core";
import { NatsDriver } from "@prism/driver-nats";
import { consumeFrom } from "../lib/prism.mjs";
import { serviceUrl } from "../lib/services.mjs";

export const title = "NATS core";
export const note =
  "core NATS keeps nothing, so a child process publishes the burst after the reader subscribed while the reader's process is blocked: the burst waits in the server and the socket, and the reader drains it. 10,000 messages at 1 KiB keep it within what the server holds for a reader that does not read (with 40,000 it cut this one off as a slow consumer); the driver's core_buffer is raised above the count so nothing is dropped.";
export const service = "nats";
/**
 * Messages per run, by payload size. The server cuts off a reader that does not read (slow consumer) once
 * too much waits for it, so the 1 KiB runs stay small.
 */
export const messages = { full: { 16: 100_000, 1024: 10_000 }, quick: { 16: 10_000, 1024: 2_000 } };
/** Published by a separate process after the reader subscribed, instead of ahead of time. */
export const live = true;

export async function open() {
  const nc = await connect({ servers: serviceUrl("nats") });
  return { nc, id: randomUUID().replaceAll("-", "").slice(0, 12), topics: 0, groups: 0 };
}

export async function close(ctx) {
  await ctx.nc.close();
}

export async function prepare(ctx) {
  return `prism-bench.${ctx.id}.${++ctx.topics}`;
}

export async function drop() {}

/**
 * Publishes `count` messages of `payload` from a child process and blocks this one until it is done, so
 * the burst waits for the reader in the server and the socket — a backlog, as the other sources have —
 * and the reader's pace is measured rather than the publisher's.
 */
export async function flood(_ctx, subject, { count, payload }) {
  const script = fileURLToPath(new URL("../lib/nats-flood.mjs", import.meta.url));
  const args = [script, serviceUrl("nats"), subject, String(count), String(payload.length)];
  const child = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
  if (child.status !== 0)
    throw new Error(`the NATS publisher process exited with ${child.status ?? child.signal}`);
}

export function publisher(ctx, subject) {
  return async (payloads) => {
    for (const payload of payloads) ctx.nc.publish(subject, payload);
  };
}

export async function raw(ctx, subject, sink) {
  const subscription = ctx.nc.subscribe(subject);
  await ctx.nc.flush();
  const loop = (async () => {
    for await (const message of subscription) sink(message.data);
  })();
  return {
    async stop() {
      subscription.unsubscribe();
      await loop;
    },
  };
}

export async function consumer(ctx, subject, sink, { behavior, expected, beforeStart }) {
  const driver = await NatsDriver.connect({
    url: serviceUrl("nats"),
    jetstream: false,
    logger: silentLogger,
    coreBuffer: Math.max(expected, 10_000),
  });
  return consumeFrom(driver, { topic: subject, group: `prism-${++ctx.groups}`, sink, behavior, beforeStart });
}
