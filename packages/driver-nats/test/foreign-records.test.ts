import { connect as connectSocket } from "node:net";
import { jetstream } from "@nats-io/jetstream";
import { connect, headers } from "@nats-io/transport-node";
import {
  Consumer,
  DeadLetterKey,
  type Message,
  type SourceInterface,
  silentLogger,
} from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver } from "../src/index.js";
import { defaultStreamTemplate, streamNameFor } from "../src/internal/names.js";
import { deleteStreams, uniquePrefix } from "./nats-test-support.js";

// Messages written by producers we did not write — a plain nats.js client, and one speaking the protocol
// itself — reach the processor intact, or the dead-letter queue with the reason, and the messages after
// them are processed.

const nats = await backend("nats");
const run = uniquePrefix("foreign");
const subjects: string[] = [];
const binary = new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0x0a]);
const text = (message: Message | undefined) => new TextDecoder().decode(message?.payload ?? new Uint8Array());

afterAll(async () => {
  if (nats.available) {
    await deleteStreams(
      nats.url,
      subjects.map((subject) => streamNameFor(defaultStreamTemplate, subject)),
    );
  }
});

/** Publishes with HPUB on a socket of its own: headers no client library would write (a non-ASCII name). */
function publishRaw(subject: string, headerBlock: string, payload: string): Promise<void> {
  const server = new URL(nats.url.split(",")[0] as string);
  const auth = server.password
    ? { user: decodeURIComponent(server.username), pass: decodeURIComponent(server.password) }
    : server.username
      ? { auth_token: decodeURIComponent(server.username) }
      : {};
  const head = Buffer.from(headerBlock);
  const body = Buffer.from(payload);
  return new Promise((resolve, reject) => {
    const socket = connectSocket(Number(server.port || 4222), server.hostname);
    socket.once("error", reject);
    socket.once("data", () => {
      const connectLine = JSON.stringify({ verbose: false, headers: true, protocol: 1, ...auth });
      const hpub = `HPUB ${subject} ${head.length} ${head.length + body.length}\r\n`;
      socket.write(
        Buffer.concat([
          Buffer.from(`CONNECT ${connectLine}\r\n${hpub}`),
          head,
          body,
          Buffer.from("\r\nPING\r\n"),
        ]),
      );
      socket.on("data", (data) => {
        if (data.toString().includes("PONG")) {
          socket.end();
          resolve();
        } else if (data.toString().includes("-ERR")) reject(new Error(data.toString().trim()));
      });
    });
  });
}

describe.runIf(nats.available)("messages from producers we did not write", () => {
  it.each(["pubsub", "queue"] as const)(
    "are delivered intact or dead-lettered with the reason, and the ones after them follow (JetStream %s)",
    async (sourceInterface: SourceInterface) => {
      const subject = `${run}.${sourceInterface}`;
      subjects.push(subject);
      const source = await NatsDriver.connect({ url: nats.url, logger: silentLogger });
      const store = new MemStore();
      const received: Message[] = [];
      const consumer = new Consumer({
        name: "foreign",
        behavior: { consumerGroup: "foreign", topic: subject },
        logger: silentLogger,
      })
        .bindSlots(source, store, store, { sourceInterface })
        .setProcessor((message) => {
          received.push(message);
        });
      await consumer.start(); // creates the stream, so everything published next is kept

      const client = await connect({ servers: nats.url });
      const js = jetstream(client);
      const repeated = headers();
      repeated.append("hop", "first");
      repeated.append("hop", "last");
      const unicodeValue = headers();
      unicodeValue.set("greeting", "значение ✓ 🔑");
      unicodeValue.set("empty", "");
      await js.publish(subject, new Uint8Array());
      await js.publish(subject, binary);
      await js.publish(subject, "repeated", { headers: repeated });
      await js.publish(subject, "unicode value", { headers: unicodeValue });
      await publishRaw(subject, "NATS/1.0\r\nключ: значение\r\n\r\n", "unicode name");
      await js.publish(subject, "after");
      await client.close();

      const deadline = Date.now() + 20_000;
      while (!received.some((m) => text(m) === "after") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await consumer.stop();
      await source.close();

      expect(received.map(text)).toEqual([
        "",
        new TextDecoder().decode(binary),
        "repeated",
        "unicode value",
        "after",
      ]);
      const [empty, bytes, hops, unicode] = received;
      expect(empty?.metadata).toEqual({});
      expect(new Uint8Array(bytes?.payload ?? [])).toEqual(binary);
      expect(hops?.metadata).toEqual({ hop: "last" });
      expect(unicode?.metadata).toEqual({ greeting: "значение ✓ 🔑", empty: "" });
      const abort = new AbortController();
      const dead: Message[] = [];
      for await (const message of await store.receive(`${subject}.dlq`, { signal: abort.signal })) {
        dead.push(message);
        abort.abort();
      }
      expect(text(dead[0])).toBe("unicode name");
      expect(dead[0]?.metadata[DeadLetterKey.Error]).toMatch(
        /could not be converted: NATS message \d+: its headers cannot be read: .*not a valid character in a header name/,
      );
      expect(consumer.health().counters).toMatchObject({ received: 6, processed: 5, deadLettered: 1 });
    },
    30_000,
  );
});
