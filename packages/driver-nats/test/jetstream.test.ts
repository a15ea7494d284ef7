import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type Message, PrismErrorCode, silentLogger } from "@prism/consumer-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver } from "../src/index.js";
import { deleteStreamsContaining, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const runPrefix = uniquePrefix("js");
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Reads `count` messages, then stops the iteration (which gives back what was pulled ahead). */
async function take(messages: AsyncIterable<Message>, count: number): Promise<Message[]> {
  const taken: Message[] = [];
  for await (const message of messages) {
    taken.push(message);
    if (taken.length === count) break;
  }
  return taken;
}

/** Everything that arrives within `ms`. */
async function collectFor(messages: AsyncIterable<Message>, signal: AbortController, ms: number) {
  const arrived: Message[] = [];
  const timer = setTimeout(() => signal.abort(), ms);
  for await (const message of messages) arrived.push(message);
  clearTimeout(timer);
  return arrived;
}

describe.runIf(nats.available)("JetStream pub/sub and queue", () => {
  let connection: NatsConnection;
  let driver: NatsDriver;
  let subject: string;
  let count = 0;

  beforeAll(async () => {
    connection = await connect({ servers: nats.url });
    driver = await NatsDriver.connect({ connection, ackWait: "2s", logger: silentLogger });
  });

  afterAll(async () => {
    await driver.close();
    expect(connection.isClosed()).toBe(false); // a connection passed in stays open
    await connection.close();
    await deleteStreamsContaining(nats.url, runPrefix);
  });

  beforeEach(() => {
    subject = `${runPrefix}-${++count}`;
  });

  async function publishNumbers(to: string, from: number, to_: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = from; i <= to_; i++) ids.push(await driver.publish(to, bytes(String(i)), { n: String(i) }));
    return ids;
  }

  it("gives the stream sequence as id and position, the publish time and the delivery count", async () => {
    const before = Date.now();
    const ids = await publishNumbers(subject, 1, 3);
    const messages = await take(await driver.subscribe(subject, "g"), 3);
    expect(messages.map((m) => m.id)).toEqual(ids);
    expect(messages.map((m) => m.position)).toEqual(
      ids.map((id) => ({ partition: "0", offset: Number(id) })),
    );
    expect(messages.map((m) => m.metadata)).toEqual([{ n: "1" }, { n: "2" }, { n: "3" }]);
    for (const message of messages) {
      expect(message.deliveryAttempt).toBe(1);
      expect(message.timestamp).toBeGreaterThanOrEqual(before - 1000);
      expect(message.timestamp).toBeLessThanOrEqual(Date.now() + 1000);
    }
    const jsm = await jetstreamManager(connection);
    expect((await jsm.streams.info(`PRISM_${subject}`)).config.subjects).toEqual([subject]);
    expect((await jsm.consumers.info(`PRISM_${subject}`, `g_${subject}`)).config.ack_policy).toBe("explicit");
  });

  it("subscribes with wildcards when it creates the stream for the wildcard", async () => {
    const messages = await driver.subscribe(`${subject}.*`, "g");
    await driver.publish(`${subject}.a`, bytes("a"));
    await driver.publish(`${subject}.b`, bytes("b"));
    const received = await take(messages, 2);
    expect(received.map((m) => [m.topic, text(m.payload)])).toEqual([
      [`${subject}.a`, "a"],
      [`${subject}.b`, "b"],
    ]);
  });

  it("binds to an existing stream that captures the subject (create_streams: false)", async () => {
    const jsm = await jetstreamManager(connection);
    await jsm.streams.add({ name: `${subject}-OWN`, subjects: [`${subject}.>`] });
    const bound = await NatsDriver.connect({ connection, createStreams: false, logger: silentLogger });
    try {
      await bound.publish(`${subject}.orders`, bytes("x"));
      const [message] = await take(await bound.subscribe(`${subject}.orders`, "g"), 1);
      expect(text(message?.payload ?? new Uint8Array())).toBe("x");
      expect((await jsm.streams.info(`${subject}-OWN`)).state.messages).toBe(1);
      await expect(jsm.streams.info(`PRISM_${subject}_orders`)).rejects.toThrow("stream not found");
    } finally {
      await bound.close();
    }
  });

  it("puts several subjects in one stream when the stream template has no {subject}", async () => {
    const shared = await NatsDriver.connect({ connection, stream: `${subject}-ALL`, logger: silentLogger });
    try {
      await shared.publish(`${subject}.one`, bytes("1"));
      await shared.publish(`${subject}.two`, bytes("2"));
      const jsm = await jetstreamManager(connection);
      const info = await jsm.streams.info(`${subject}-ALL`);
      expect(info.config.subjects).toEqual([`${subject}.one`, `${subject}.two`]);
      const [two] = await take(await shared.subscribe(`${subject}.two`, "g"), 1);
      expect(two).toMatchObject({ topic: `${subject}.two`, id: "2" });
    } finally {
      await shared.close();
    }
  });

  it("moves an existing durable right after the checkpoint; later members of the group join it", async () => {
    await publishNumbers(subject, 1, 10);
    expect((await take(await driver.subscribe(subject, "g"), 10)).length).toBe(10);
    await driver.resumeAfter(subject, "g", async (partition) => (partition === "0" ? 6 : undefined));
    const resumed = await take(await driver.subscribe(subject, "g"), 2);
    expect(resumed.map((m) => text(m.payload))).toEqual(["7", "8"]);
    // The same process's next subscription joins the group where it is: no second move.
    // 9 and 10 were pulled ahead and given back: they come back (in any order, maybe twice), 7 and 8 do not.
    const joined: string[] = [];
    for await (const message of await driver.subscribe(subject, "g")) {
      joined.push(text(message.payload));
      if (joined.includes("9") && joined.includes("10")) break;
    }
    expect(new Set(joined)).toEqual(new Set(["9", "10"]));
  });

  it("leaves a durable that stands exactly at the checkpoint alone (no redelivery)", async () => {
    await publishNumbers(subject, 1, 4);
    await take(await driver.subscribe(subject, "g"), 4);
    await driver.resumeAfter(subject, "g", async () => 4);
    const abort = new AbortController();
    const messages = await driver.subscribe(subject, "g", { signal: abort.signal });
    await publishNumbers(subject, 5, 5);
    const arrived = await collectFor(messages, abort, 1000);
    expect(arrived.map((m) => [text(m.payload), m.deliveryAttempt])).toEqual([["5", 1]]);
  });

  it("creates a durable after the checkpoint for a group it has never seen", async () => {
    await publishNumbers(subject, 1, 5);
    await driver.resumeAfter(subject, "new-group", async () => "3");
    const messages = await take(await driver.subscribe(subject, "new-group"), 2);
    expect(messages.map((m) => text(m.payload))).toEqual(["4", "5"]);
  });

  it("refuses a checkpoint that is not a stream sequence", async () => {
    await driver.resumeAfter(subject, "g", async () => "12-0");
    await expect(driver.subscribe(subject, "g")).rejects.toMatchObject({ code: PrismErrorCode.StateCorrupt });
  });

  it("queue: a new group starts after the checkpoint; an existing one stays where its acknowledgements are", async () => {
    await publishNumbers(subject, 1, 6);
    const acked = await take(await driver.receive(subject, { group: "existing" }), 2);
    for (const message of acked) await driver.acknowledge(message);
    await driver.resumeAfter(subject, "existing", async () => 5);
    await driver.resumeAfter(subject, "new", async () => 4);
    // 3 and 4 come although the checkpoint says 5 (they were given back, so in any order); 1 and 2 do not.
    const existing: string[] = [];
    for await (const message of await driver.receive(subject, { group: "existing" })) {
      existing.push(text(message.payload));
      await driver.acknowledge(message);
      if (new Set(existing).size === 4) break;
    }
    expect(new Set(existing)).toEqual(new Set(["3", "4", "5", "6"]));
    const fresh = await take(await driver.receive(subject, { group: "new" }), 2);
    expect(fresh.map((m) => text(m.payload))).toEqual(["5", "6"]);
    for (const message of fresh) await driver.acknowledge(message);
  });

  it("queue: waits nak_delay before redelivering a rejected message", async () => {
    const delayed = await NatsDriver.connect({ connection, nakDelay: "1500ms", logger: silentLogger });
    const abort = new AbortController();
    try {
      await delayed.enqueue(subject, bytes("later"));
      const messages = await delayed.receive(subject, { group: "q", signal: abort.signal });
      const iterator = messages[Symbol.asyncIterator]();
      const first = (await iterator.next()).value as Message;
      const rejectedAt = Date.now();
      await delayed.reject(first, true);
      const again = (await iterator.next()).value as Message;
      expect(Date.now() - rejectedAt).toBeGreaterThanOrEqual(1400);
      expect(again).toMatchObject({ id: first.id, deliveryAttempt: 2 });
      await delayed.acknowledge(again);
    } finally {
      abort.abort();
      await delayed.close();
    }
  });

  it("queue: stops delivering after max_deliver deliveries", async () => {
    const limited = await NatsDriver.connect({ connection, maxDeliver: 2, logger: silentLogger });
    try {
      await limited.enqueue(subject, bytes("poison"));
      const abort = new AbortController();
      const attempts: number[] = [];
      const timer = setTimeout(() => abort.abort(), 2000);
      for await (const message of await limited.receive(subject, { group: "q", signal: abort.signal })) {
        attempts.push(message.deliveryAttempt);
        await limited.reject(message, true);
      }
      clearTimeout(timer);
      expect(attempts).toEqual([1, 2]);
    } finally {
      await limited.close();
    }
  });

  it("queue: settling a message twice, or one it did not hand out, is BACKEND_REJECTED", async () => {
    await driver.enqueue(subject, bytes("once"));
    const [message] = await take(await driver.receive(subject), 1);
    await driver.acknowledge(message as Message);
    await expect(driver.acknowledge(message as Message)).rejects.toMatchObject({
      code: PrismErrorCode.BackendRejected,
    });
    await expect(driver.reject({ ...(message as Message) }, true)).rejects.toThrow(
      "was not received from this driver",
    );
  });
});
