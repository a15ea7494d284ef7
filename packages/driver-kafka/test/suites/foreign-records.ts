import { execFileSync } from "node:child_process";
import {
  Consumer,
  type Message,
  PrismErrorCode,
  type SourceInterface,
  silentLogger,
  stateKey,
} from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { backend, tool } from "../../../../scripts/test-support/backends.mjs";
import { deleteTopicsAndGroupsContaining, withAdmin } from "./kafka-test-support.js";
import type { KafkaUnderTest } from "./kafka-under-test.js";

// Records written by producers we did not write: raw kafkajs, and kcat for what kafkajs cannot write (a
// header without a value). Each must reach the processor intact (or the dead-letter queue with a
// reason), and the records after it must be processed: a null header value used to stop the partition
// for good, in pub/sub and queue mode, while the consumer reported running.

const kafka = await backend("kafka");
const kcat = kafka.available ? tool("kcat", "apt-get install kcat") : undefined;
const brokers = kafka.url.split(",");
const run = `foreign-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a]);

afterAll(async () => {
  if (kafka.available) await deleteTopicsAndGroupsContaining(brokers, run);
});

/** A one-partition topic (so the order of the records is the order written), written with raw kafkajs. */
async function writeRaw(topic: string): Promise<void> {
  const client = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = client.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [
      { value: Buffer.alloc(0), headers: { case: "empty payload" } },
      { key: "customer-7", value: null, headers: { case: "tombstone" } },
      { value: binary, headers: { case: "binary payload" } },
      { value: "binary header", headers: { raw: binary } },
      { value: "unicode", headers: { "ключ-🔑": "значение ✓" } },
      { key: binary, value: "binary key" },
      { value: "repeated header", headers: { hop: ["first", "last"] } },
      { value: "after" },
    ],
  });
  await producer.disconnect();
}

/** Consumes `topic` from the start until "after" arrives; memstore keeps the state and the DLQ. */
async function consume(under: KafkaUnderTest, topic: string, sourceInterface: SourceInterface) {
  const group = `${topic}-${sourceInterface}`;
  // A broker that has just started may not serve the group's coordinator yet; the driver would reconnect
  // until it does, and the test counts reconnects to prove the records cause none.
  await withAdmin(brokers, (admin) => admin.describeGroups([group]));
  const source = await under.connect({ brokers, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const store = new MemStore();
  const received: Message[] = [];
  const consumer = new Consumer({
    name: "foreign",
    behavior: { consumerGroup: group, topic, maxRetries: 0 },
    logger: silentLogger,
  })
    .bindSlots(source, store, store, { sourceInterface })
    .setProcessor((message) => {
      received.push(message);
    });
  await consumer.start();
  try {
    const deadline = Date.now() + 60_000;
    while (!received.some((m) => text(m) === "after")) {
      if (Date.now() > deadline) throw new Error(`"after" never arrived; got ${received.map(text)}`);
      if (consumer.health().status !== "running") throw consumer.health().lastError;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { received, health: consumer.health() };
  } finally {
    await consumer.stop();
    await source.close();
  }
}

const text = (message: Message | undefined) => Buffer.from(message?.payload ?? []).toString("utf8");

/** Records written by other producers, and a failure retrying cannot fix, over the Kafka driver `under`. */
export function describeKafkaForeignRecords(under: KafkaUnderTest): void {
  describe.runIf(kafka.available)(`records from producers we did not write, read with ${under.label}`, () => {
    it.each(["pubsub", "queue"] as const)(
      "every record reaches the processor intact and the ones after it follow (%s)",
      async (sourceInterface) => {
        const topic = `${run}-raw-${sourceInterface}`;
        await writeRaw(topic);
        const { received, health } = await consume(under, topic, sourceInterface);
        expect(received.map(text)).toEqual([
          "",
          "",
          binary.toString("utf8"),
          "binary header",
          "unicode",
          "binary key",
          "repeated header",
          "after",
        ]);
        const [empty, tombstone, bytes, binaryHeader, unicode, binaryKey, repeated] = received;
        expect(empty?.payload).toEqual(new Uint8Array());
        expect(empty?.metadata).toEqual({ case: "empty payload" });
        expect(tombstone?.metadata).toEqual({ case: "tombstone", "kafka-key": "customer-7" });
        expect(Buffer.from(bytes?.payload ?? [])).toEqual(binary);
        expect(binaryHeader?.metadata).toEqual({ "raw.base64": binary.toString("base64") });
        expect(unicode?.metadata).toEqual({ "ключ-🔑": "значение ✓" });
        expect(binaryKey?.metadata).toEqual({ "kafka-key.base64": binary.toString("base64") });
        expect(repeated?.metadata).toEqual({ hop: "last" });
        expect(health.counters).toMatchObject({ received: 8, processed: 8, deadLettered: 0 });
        expect(health.drivers.messageSource?.reconnects).toBe(0);
      },
      120_000,
    );

    it.runIf(kcat).each(["pubsub", "queue"] as const)(
      'a header without a value (kcat -H name, Java\'s RecordHeader(name, null)) arrives as "", and the next record follows (%s)',
      async (sourceInterface) => {
        const topic = `${run}-kcat-${sourceInterface}`;
        const write = (args: string[], input: string) =>
          execFileSync(kcat as string, ["-P", "-b", brokers.join(","), "-t", topic, ...args], { input });
        write(["-H", "trace", "-H", "tenant=acme"], "from kcat\n");
        write([], "after\n");
        const { received, health } = await consume(under, topic, sourceInterface);
        expect(received.map(text)).toEqual(["from kcat", "after"]);
        expect(received[0]?.metadata).toEqual({ trace: "", tenant: "acme" });
        expect(health.drivers.messageSource?.reconnects).toBe(0);
      },
      120_000,
    );
  });

  describe.runIf(kafka.available)(`a ${under.label} driver failure that retrying cannot fix`, () => {
    it("fails the consumer, shown in health(), instead of being retried as reconnects forever", async () => {
      const topic = `${run}-corrupt`;
      const group = `${topic}-group`;
      const producer = await under.connect({ brokers });
      await producer.publish(topic, new TextEncoder().encode("m"));
      await producer.close();
      // A checkpoint no Kafka offset can come from: positioning the partition after it cannot succeed.
      const store = new MemStore();
      const state = {
        offset: "x",
        offsets: { "0": "x" },
        last_message_id: "x",
        last_updated: "",
        retry_count: 0,
      };
      await store.set(stateKey(group, topic, "corrupt"), new TextEncoder().encode(JSON.stringify(state)));
      const source = await under.connect({
        brokers,
        sessionTimeout: 10_000,
        heartbeatInterval: 1000,
      });
      const consumer = new Consumer({
        name: "corrupt",
        behavior: { consumerGroup: group, topic },
        logger: silentLogger,
      })
        .bindSlots(source, store)
        .setProcessor(() => {});
      try {
        await consumer.start();
        const failure = await consumer.closed();
        expect(failure).toMatchObject({ code: PrismErrorCode.StateCorrupt });
        const health = consumer.health();
        expect(health.status).toBe("failed");
        expect(health.lastError?.message).toContain("is not an offset");
        expect(health.drivers.messageSource).toMatchObject({ reconnects: 0 });
        expect(health.drivers.messageSource?.lastError).toContain("is not an offset");
      } finally {
        await source.close();
      }
    }, 60_000);
  });
}
