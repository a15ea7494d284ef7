import { type Logger, type Message, PrismErrorCode, silentLogger } from "@prism/consumer-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver } from "../src/index.js";
import { uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Reads `count` messages, then stops the iteration. */
async function take(messages: AsyncIterable<Message>, count: number): Promise<Message[]> {
  const taken: Message[] = [];
  for await (const message of messages) {
    taken.push(message);
    if (taken.length === count) break;
  }
  return taken;
}

describe.runIf(nats.available)("core NATS pub/sub (jetstream: false)", () => {
  let driver: NatsDriver;
  let subject: string;

  beforeEach(async () => {
    driver = await NatsDriver.connect({ url: nats.url, jetstream: false, logger: silentLogger });
    subject = uniquePrefix("core");
  });

  afterEach(() => driver.close());

  it("sends the id publish returned with the message, and metadata as headers (the id header is not metadata)", async () => {
    const messages = await driver.subscribe(subject, "g");
    const id = await driver.publish(subject, bytes("hello"), { "Content-Type": "text/plain", empty: "" });
    const [message] = await take(messages, 1);
    expect(message).toMatchObject({
      id,
      topic: subject,
      metadata: { "Content-Type": "text/plain", empty: "" },
      position: undefined,
      deliveryAttempt: 1,
    });
    expect(text(message?.payload ?? new Uint8Array())).toBe("hello");
  });

  it("subscribes with wildcards and reports each message's own subject", async () => {
    const messages = await driver.subscribe(`${subject}.*`, "g");
    await driver.publish(`${subject}.a`, bytes("1"));
    await driver.publish(`${subject}.b`, bytes("2"));
    await driver.publish(`${subject}.c.deeper`, bytes("not matched by *"));
    await driver.publish(`${subject}.d`, bytes("3"));
    const received = await take(messages, 3);
    expect(received.map((m) => [m.topic, text(m.payload)])).toEqual([
      [`${subject}.a`, "1"],
      [`${subject}.b`, "2"],
      [`${subject}.d`, "3"],
    ]);
  });

  it("refuses metadata NATS headers would change, before sending anything", async () => {
    const messages = await driver.subscribe(subject, "g");
    for (const metadata of [
      { note: "two\r\nlines" },
      { note: " padded " },
      { "bad key": "v" },
      { "a:b": "v" },
    ]) {
      await expect(driver.publish(subject, bytes("x"), metadata)).rejects.toMatchObject({
        code: PrismErrorCode.BackendRejected,
        retryable: false,
      });
    }
    await driver.publish(subject, bytes("the only one"));
    const [message] = await take(messages, 1);
    expect(text(message?.payload ?? new Uint8Array())).toBe("the only one");
  });

  it("counts and reports what a subscriber too far behind loses, never silently", async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
    const small = await NatsDriver.connect({ url: nats.url, jetstream: false, coreBuffer: 5, logger });
    try {
      const messages = await small.subscribe(subject, "slow");
      for (let i = 0; i < 20; i++) await small.publish(subject, bytes(String(i)));
      const held = await take(messages, 5);
      expect(held.map((m) => text(m.payload))).toEqual(["0", "1", "2", "3", "4"]);
      expect(small.droppedCoreMessages).toBe(15);
      expect(small.driverHealth().lastError).toContain("15 message(s) dropped");
      // The log gets the 1st and the 10th drop.
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toContain(
        `core NATS subscriber "slow" on "${subject}" fell more than 5 messages behind`,
      );
    } finally {
      await small.close();
    }
  });

  it("ends the group's iterations on unsubscribe, and on abort", async () => {
    const first = await driver.subscribe(subject, "g");
    const abort = new AbortController();
    const second = await driver.subscribe(subject, "other", { signal: abort.signal });
    const reading = [take(first, 1), take(second, 1)];
    await driver.unsubscribe(subject, "g");
    abort.abort();
    expect(await Promise.all(reading)).toEqual([[], []]);
  });

  it("warns once that core NATS cannot resume, instead of pretending to", async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
    const core = await NatsDriver.connect({ url: nats.url, jetstream: false, logger });
    try {
      await core.resumeAfter(subject, "g", async () => 5);
      await core.resumeAfter(subject, "g", async () => 6);
      expect(warnings).toEqual([
        expect.stringContaining("core NATS pub/sub cannot resume from a checkpoint"),
      ]);
    } finally {
      await core.close();
    }
  });
});
