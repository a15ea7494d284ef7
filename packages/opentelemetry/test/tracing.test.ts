import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { Consumer, PermanentError } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Attr, traceConsumer, traceDriver } from "../src/index.js";
import { type OtelSdk, startSdk } from "./otel-sdk.js";

const text = (value: string) => new TextEncoder().encode(value);

let sdk: OtelSdk;
beforeEach(() => {
  sdk = startSdk();
});
afterEach(() => sdk.shutdown());

function consumerOn(store: MemStore, behavior: Record<string, unknown> = {}) {
  return new Consumer({
    name: "traced",
    behavior: {
      consumerGroup: "g",
      topic: "orders",
      maxRetries: 2,
      retryBackoff: { initial: "1ms", max: "2ms" },
      ...behavior,
    },
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  }).bindSlots(store, store, store);
}

describe("traceConsumer and traceDriver", () => {
  it("continues the producer's trace: send span → process span → attempt span", async () => {
    const store = new MemStore();
    const consumer = consumerOn(store).setProcessor(() => {});
    traceConsumer(consumer, { tracerProvider: sdk.tracerProvider, system: "memstore" });
    const producer = traceDriver(store, { tracerProvider: sdk.tracerProvider, system: "memstore" });
    await consumer.start();
    const processed = consumer.once("processed");
    const id = await producer.publish("orders", text("one"), { kind: "order" });
    await processed;
    await consumer.stop();

    const spans = sdk.spans();
    const send = spans.find((s) => s.name === "send orders");
    const process = spans.find((s) => s.name === "process orders");
    const attempt = spans.find((s) => s.name === "attempt orders");
    expect(send?.kind).toBe(SpanKind.PRODUCER);
    expect(send?.attributes[Attr.MessageId]).toBe(id);
    expect(process?.kind).toBe(SpanKind.CONSUMER);
    expect(process?.spanContext().traceId).toBe(send?.spanContext().traceId);
    expect(process?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
    expect(process?.attributes).toMatchObject({
      [Attr.System]: "memstore",
      [Attr.Destination]: "orders",
      [Attr.OperationType]: "process",
      [Attr.ConsumerGroup]: "g",
      [Attr.MessageId]: id,
      [Attr.Outcome]: "processed",
    });
    expect(attempt?.parentSpanContext?.spanId).toBe(process?.spanContext().spanId);
    expect(attempt?.attributes[Attr.Attempt]).toBe(1);
  });

  it("continues a foreign producer's traceparent", async () => {
    const store = new MemStore();
    const consumer = consumerOn(store).setProcessor(() => {});
    traceConsumer(consumer, { tracerProvider: sdk.tracerProvider });
    await consumer.start();
    const processed = consumer.once("processed");
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    await store.publish("orders", text("x"), { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    await processed;
    await consumer.stop();
    const process = sdk.spans().find((s) => s.name === "process orders");
    expect(process?.spanContext().traceId).toBe(traceId);
    expect(process?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
  });

  it("records nothing for a producer's unsampled trace, and the handler still runs in that trace", async () => {
    const store = new MemStore();
    const seen: (string | undefined)[] = [];
    const consumer = consumerOn(store).setProcessor(() => {
      const active = trace.getSpan(context.active())?.spanContext();
      seen.push(`${active?.traceId}/${active?.traceFlags}`);
    });
    traceConsumer(consumer, { tracerProvider: sdk.tracerProvider });
    await consumer.start();
    const processed = consumer.once("processed");
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    // Flags 00: the producer did not sample it; the parent-based sampler keeps it unsampled.
    await store.publish("orders", text("x"), { traceparent: `00-${traceId}-00f067aa0ba902b7-00` });
    await processed;
    await consumer.stop();
    expect(sdk.spans()).toEqual([]);
    expect(seen).toEqual([`${traceId}/0`]);
  });

  it("shows retries, a timeout and dead-lettering", async () => {
    const store = new MemStore();
    let calls = 0;
    const consumer = consumerOn(store, { processingTimeout: "30ms" }).setProcessor(async (_m, { signal }) => {
      calls++;
      if (calls === 1) throw new Error("flaky");
      await new Promise((resolve) => signal.addEventListener("abort", resolve)); // times out
    });
    traceConsumer(consumer, { tracerProvider: sdk.tracerProvider });
    await consumer.start();
    const deadLettered = consumer.once("deadLettered");
    await store.publish("orders", text("slow"));
    await deadLettered;
    await consumer.stop();

    const spans = sdk.spans();
    const process = spans.find((s) => s.name === "process orders");
    const attempts = spans.filter((s) => s.name === "attempt orders");
    const dead = spans.find((s) => s.name === "dead-letter orders");
    expect(attempts.map((s) => s.attributes[Attr.Attempt])).toEqual([1, 2, 3]);
    expect(attempts[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[1]?.attributes[Attr.TimedOut]).toBe(true);
    expect(attempts[1]?.events.map((e) => e.name)).toContain("timeout");
    expect(process?.events.filter((e) => e.name === "retry")).toHaveLength(2);
    expect(process?.status.code).toBe(SpanStatusCode.ERROR);
    expect(dead?.parentSpanContext?.spanId).toBe(process?.spanContext().spanId);
    expect(dead?.attributes[Attr.Outcome]).toBe("dead-lettered");
    expect(String(dead?.attributes[Attr.FailureReason])).toMatch(/timed out/);
  });

  it("gives filtered messages a span with that outcome", async () => {
    const store = new MemStore();
    const consumer = consumerOn(store, { filter: { metadata: { kind: "order" } } }).setProcessor(() => {});
    traceConsumer(consumer, { tracerProvider: sdk.tracerProvider });
    const producer = traceDriver(store, { tracerProvider: sdk.tracerProvider });
    await consumer.start();
    const filtered = consumer.once("filtered");
    await producer.publish("orders", text("refund"), { kind: "refund" });
    await filtered;
    await consumer.stop();
    const spans = sdk.spans();
    const process = spans.find((s) => s.name === "process orders");
    expect(process?.attributes[Attr.Outcome]).toBe("filtered");
    expect(process?.parentSpanContext?.spanId).toBe(
      spans.find((s) => s.name === "send orders")?.spanContext().spanId,
    );
    expect(spans.some((s) => s.name === "attempt orders")).toBe(false);
  });

  it("keeps the driver's other methods and capabilities, and records a failed send", async () => {
    const store = new MemStore();
    const producer = traceDriver(store, { tracerProvider: sdk.tracerProvider });
    await producer.set("k", text("v"));
    expect(await store.get("k")).toEqual(text("v"));
    expect(typeof producer.consumerLag).toBe("function");
    const broken = traceDriver(
      { enqueue: async () => Promise.reject(new PermanentError("full")) },
      { tracerProvider: sdk.tracerProvider },
    );
    await expect(broken.enqueue()).rejects.toThrow("full");
    expect(sdk.spans().find((s) => s.name === "send undefined")?.status.code).toBe(SpanStatusCode.ERROR);
  });
});
