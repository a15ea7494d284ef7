import { Writable } from "node:stream";
import { MemStore } from "@prism/driver-memstore";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { bytes, consumerOptions } from "../test/helpers.js";
import { Consumer } from "./consumer.js";
import { fieldsFirstLogger, toLogger } from "./logger.js";

describe("loggers", () => {
  it("takes a pino logger as it is (fields first, then the message)", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const logger = pino({ level: "info" }, sink);
    const store = new MemStore();
    const consumer = new Consumer({ ...consumerOptions({ topic: "orders" }), logger })
      .bindSlots(store, store)
      .setProcessor(() => {});
    await consumer.start();
    await store.publish("orders", bytes("x"));
    await consumer.once("processed");
    await consumer.stop();
    const joined = lines.find((line) => line.msg === "joined the group");
    expect(joined).toMatchObject({
      level: 30,
      key: consumer.stateKey,
      member: expect.stringContaining("order-processor@"),
    });
  });

  it("adapts other fields-first loggers explicitly, and leaves message-first ones alone", () => {
    const calls: unknown[][] = [];
    const record = (...args: unknown[]) => void calls.push(args);
    const fieldsFirst = fieldsFirstLogger({ debug: record, info: record, warn: record, error: record });
    fieldsFirst.warn("careful", { key: "k" });
    const messageFirst = { debug: record, info: record, warn: record, error: record };
    expect(toLogger(messageFirst)).toBe(messageFirst);
    toLogger(messageFirst).warn("plain", { key: "k" });
    expect(calls).toEqual([
      [{ key: "k" }, "careful"],
      ["plain", { key: "k" }],
    ]);
  });
});
