// Publish → consume over real NATS JetStream and Kafka with the real OpenTelemetry SDK: the trace crosses
// the broker (our producer's and a foreign producer's `traceparent`), and the metrics count what happened,
// the lag included.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, headers } from "@nats-io/transport-node";
import { Consumer, silentLogger } from "@prism/consumer-core";
import { KafkaDriver } from "@prism/driver-kafka";
import { MemStore } from "@prism/driver-memstore";
import { NatsDriver } from "@prism/driver-nats";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { Attr, meterConsumer, traceConsumer, traceDriver } from "../src/index.js";
import { type OtelSdk, startSdk, total } from "./otel-sdk.js";

const nats = await backend("nats");
const kafka = await backend("kafka");
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const bytes = (value: string) => new TextEncoder().encode(value);
const foreignTrace = "0af7651916cd43dd8448eb211c80319c";
const foreignParent = "b7ad6b7169203331";
const traceparent = `00-${foreignTrace}-${foreignParent}-01`;

let sdk: OtelSdk;
beforeEach(() => {
  sdk = startSdk();
});
afterEach(() => sdk.shutdown());

/** Runs a consumer until `count` messages were processed; returns it stopped. */
async function consumeAll(consumer: Consumer, count: number): Promise<void> {
  let seen = 0;
  const done = new Promise<void>((resolve) => {
    consumer.on("processed", ({ messages }) => {
      seen += messages.length;
      if (seen >= count) resolve();
    });
  });
  await consumer.start();
  await done;
  await consumer.stop();
}

function expectContinued(sdkSpans: ReturnType<OtelSdk["spans"]>, system: string): void {
  const send = sdkSpans.find((s) => s.name.startsWith("send "));
  const processes = sdkSpans.filter((s) => s.name.startsWith("process "));
  expect(processes).toHaveLength(2);
  const ours = processes.find((s) => s.spanContext().traceId === send?.spanContext().traceId);
  expect(ours?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
  expect(ours?.attributes[Attr.System]).toBe(system);
  expect(ours?.attributes[Attr.MessageId]).toBe(send?.attributes[Attr.MessageId]);
  const foreign = processes.find((s) => s.spanContext().traceId === foreignTrace);
  expect(foreign?.parentSpanContext?.spanId).toBe(foreignParent);
}

describe.runIf(nats.available)("OpenTelemetry over NATS JetStream", () => {
  const subject = `otel.${run}`;
  afterAll(async () => {
    const connection = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(connection);
    for await (const name of jsm.streams.names()) if (name.includes(run)) await jsm.streams.delete(name);
    await connection.close();
  });

  it("continues traces across the broker and measures the consumer, lag included", async () => {
    const driver = await NatsDriver.connect({ url: nats.url });
    const store = new MemStore();
    const options = { tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider, system: "nats" };
    const producer = traceDriver(driver, options);
    await producer.publish(subject, bytes("ours"));
    const raw = await connect({ servers: nats.url });
    const h = headers();
    h.set("traceparent", traceparent);
    await jetstream(raw).publish(subject, bytes("foreign"), { headers: h });
    await raw.close();

    const consumer = new Consumer({
      name: "otel",
      behavior: { consumerGroup: `otel-${run}`, topic: subject },
      logger: silentLogger,
    })
      .bindSlots(driver, store)
      .setProcessor(() => {});
    traceConsumer(consumer, options);
    const stop = meterConsumer(consumer, { ...options, source: driver, lagIntervalMs: 50 });
    await consumeAll(consumer, 2);
    expectContinued(sdk.spans(), "nats");
    expect(total(await sdk.points("prism.consumer.processed"))).toBe(2);

    for (let i = 0; i < 3; i++) await driver.publish(subject, bytes(`later ${i}`));
    await expect.poll(async () => total(await sdk.points("prism.consumer.lag")), { timeout: 5000 }).toBe(3);
    stop();
    await driver.close();
  });
});

describe.runIf(kafka.available)("OpenTelemetry over Kafka", () => {
  const brokers = kafka.url.split(",");
  const topic = `otel-${run}`;
  const group = `otel-${run}`;
  afterAll(async () => {
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteGroups([group]).catch(() => {});
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it("continues traces across the broker and measures the consumer, lag included", async () => {
    const driver = await KafkaDriver.connect({ brokers, partitions: 2, sessionTimeout: "10s" });
    const store = new MemStore();
    const options = { tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider, system: "kafka" };
    const producer = traceDriver(driver, options);
    await producer.publish(topic, bytes("ours"));
    const raw = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({ topic, messages: [{ value: Buffer.from("foreign"), headers: { traceparent } }] });
    await raw.disconnect();

    const consumer = new Consumer({
      name: "otel",
      behavior: { consumerGroup: group, topic, commitInterval: "100ms" },
      logger: silentLogger,
    })
      .bindSlots(driver, store)
      .setProcessor(() => {});
    traceConsumer(consumer, options);
    const stop = meterConsumer(consumer, { ...options, source: driver, lagIntervalMs: 100 });
    await consumeAll(consumer, 2);
    expectContinued(sdk.spans(), "kafka");
    expect(total(await sdk.points("prism.consumer.processed"))).toBe(2);
    expect(total(await sdk.points("prism.consumer.commits"))).toBeGreaterThan(0);

    for (let i = 0; i < 3; i++) await driver.publish(topic, bytes(`later ${i}`));
    await expect.poll(async () => total(await sdk.points("prism.consumer.lag")), { timeout: 10_000 }).toBe(3);
    stop();
    await driver.close();
  });
});
