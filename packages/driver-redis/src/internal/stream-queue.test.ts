import { type GroupChange, type Message, PrismErrorCode, silentLogger } from "@prism/consumer-core";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { backend } from "../../../../scripts/test-support/backends.mjs";
import { deleteKeysUnder, uniquePrefix } from "../../test/redis-test-support.js";
import { RedisDriver } from "../redis-driver.js";

const redis = await backend("redis");
const keyPrefix = uniquePrefix("stream-queue");
const bytes = (text: string) => new TextEncoder().encode(text);
const textOf = (message: Message) => new TextDecoder().decode(message.payload);

/** A receive loop read in the background, without settling anything. */
async function reader(driver: RedisDriver, queue: string, consumerId: string) {
  const abort = new AbortController();
  const messages: Message[] = [];
  const iterable = await driver.receive(queue, { group: "g", consumerId, signal: abort.signal });
  const done = (async () => {
    for await (const message of iterable) messages.push(message);
  })();
  const waitFor = async (count: number) => {
    const deadline = Date.now() + 10_000;
    while (messages.length < count) {
      if (Date.now() > deadline) throw new Error(`got ${messages.length} of ${count} messages`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const stop = async () => {
    abort.abort();
    await done;
  };
  return { messages, waitFor, stop, done };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(redis.available)("RedisDriver queue on Redis Streams", () => {
  let admin: Redis;
  const drivers: RedisDriver[] = [];
  const connect = async (options: Parameters<typeof RedisDriver.connect>[0] = {}) => {
    const driver = await RedisDriver.connect({
      url: redis.url,
      keyPrefix,
      claimIdle: 300,
      block: 100,
      logger: silentLogger,
      ...options,
    });
    drivers.push(driver);
    return driver;
  };
  let queueNumber = 0;
  const newQueue = () => `q${++queueNumber}-${Date.now().toString(36)}`;

  beforeAll(() => {
    admin = new Redis(redis.url);
  });
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.close()));
  });
  afterAll(async () => {
    await deleteKeysUnder(redis.url, keyPrefix);
    admin.disconnect();
  });

  it("gives each message its stream id as id and offset, its timestamp and metadata", async () => {
    const driver = await connect();
    const queue = newQueue();
    const before = Date.now();
    const id = await driver.enqueue(queue, bytes("hello"), { "content-type": "text/plain" });
    expect(id).toMatch(/^\d+-\d+$/);
    const r = await reader(driver, queue, "c1");
    await r.waitFor(1);
    await r.stop();
    expect(r.messages[0]).toEqual({
      id,
      topic: queue,
      payload: bytes("hello"),
      metadata: { "content-type": "text/plain" },
      timestamp: expect.any(Number),
      position: { partition: "0", offset: id },
      deliveryAttempt: 1,
    });
    expect(r.messages[0]?.timestamp).toBeGreaterThanOrEqual(before);
  });

  it("reads entries other producers wrote: their fields become metadata", async () => {
    const driver = await connect();
    const queue = newQueue();
    const id = String(await admin.xadd(keyPrefix + queue, "*", "payload", "raw", "source", "cli"));
    const r = await reader(driver, queue, "c1");
    await r.waitFor(1);
    await r.stop();
    expect(textOf(r.messages[0] as Message)).toBe("raw");
    expect(r.messages[0]?.metadata).toEqual({ source: "cli" });
    expect(r.messages[0]?.timestamp).toBe(Number(id.split("-")[0]));
  });

  it("reclaims what a stopped consumer left pending, for another consumer, after claim_idle", async () => {
    const driver = await connect();
    const queue = newQueue();
    for (const n of [1, 2, 3]) await driver.enqueue(queue, bytes(`m${n}`));
    const dead = await reader(driver, queue, "dead");
    await dead.waitFor(3);
    await dead.stop();
    const heir = await reader(driver, queue, "heir");
    await heir.waitFor(3);
    await heir.stop();
    expect(heir.messages.map(textOf)).toEqual(["m1", "m2", "m3"]);
    for (const message of heir.messages) expect(message.deliveryAttempt).toBe(2);
  });

  it("takes over what a departed member left pending, says so, and removes the member from the group", async () => {
    const driver = await connect();
    const queue = newQueue();
    for (const n of [1, 2]) await driver.enqueue(queue, bytes(`m${n}`));
    // A member that read two entries and died: nothing of it ever touches the group again.
    const stream = keyPrefix + queue;
    await admin.call("XGROUP", "CREATE", stream, "g", "0", "MKSTREAM");
    await admin.call("XREADGROUP", "GROUP", "g", "departed", "COUNT", "2", "STREAMS", stream, ">");
    const changes: GroupChange[] = [];
    const abort = new AbortController();
    const iterable = await driver.receive(queue, {
      group: "g",
      consumerId: "survivor",
      signal: abort.signal,
      onGroupChange: (change) => void changes.push(change),
    });
    const taken: Message[] = [];
    for await (const message of iterable) {
      taken.push(message);
      await driver.acknowledge(message);
      if (taken.length === 2) break;
    }
    expect(taken.map(textOf)).toEqual(["m1", "m2"]);
    expect(taken.map((m) => m.deliveryAttempt)).toEqual([2, 2]);
    expect(changes).toEqual([{ kind: "claimed", from: "departed", messages: 2 }]);
    // Holding nothing now, the departed member is removed at the next sweep.
    const members = async () =>
      ((await admin.call("XINFO", "CONSUMERS", stream, "g")) as unknown[][]).map((fields) =>
        String(fields[1]),
      );
    const survivor = await reader(driver, queue, "survivor");
    const deadline = Date.now() + 5000;
    while ((await members()).includes("departed") && Date.now() < deadline) await sleep(50);
    await survivor.stop();
    expect(await members()).toEqual(["survivor"]);
  });

  it("does not let others reclaim a message its live receiver is still processing", async () => {
    const driver = await connect();
    const queue = newQueue();
    await driver.enqueue(queue, bytes("slow"));
    // Like a consumer busy with its one message: it pulls nothing more until done, so no fetch runs.
    const busy = (await driver.receive(queue, { group: "g", consumerId: "busy" }))[Symbol.asyncIterator]();
    const taken = await busy.next();
    const other = await reader(driver, queue, "other");
    await sleep(1500); // five times claim_idle: without the heartbeat "other" would take it
    await driver.acknowledge(taken.value as Message);
    await Promise.all([busy.return?.(), other.stop()]);
    expect(other.messages).toEqual([]);
  });

  it("hands a message rejected with requeue back to the same live receiver, counting the delivery", async () => {
    const driver = await connect();
    const queue = newQueue();
    await driver.enqueue(queue, bytes("again"));
    const r = await reader(driver, queue, "c1");
    await r.waitFor(1);
    await driver.reject(r.messages[0] as Message, true);
    await r.waitFor(2);
    await driver.acknowledge(r.messages[1] as Message);
    await r.stop();
    expect(r.messages.map((m) => [textOf(m), m.deliveryAttempt])).toEqual([
      ["again", 1],
      ["again", 2],
    ]);
  });

  it("skips and clears pending entries that were trimmed away before they were re-read", async () => {
    const driver = await connect();
    const queue = newQueue();
    const gone = await driver.enqueue(queue, bytes("gone"));
    await driver.enqueue(queue, bytes("kept"));
    const first = await reader(driver, queue, "c1");
    await first.waitFor(2);
    await first.stop();
    await admin.xdel(keyPrefix + queue, gone);
    const again = await reader(driver, queue, "c1");
    await again.waitFor(1);
    await again.stop();
    expect(again.messages.map(textOf)).toEqual(["kept"]);
    const pending = (await admin.xpending(keyPrefix + queue, "g")) as [number, ...unknown[]];
    expect(pending[0]).toBe(1); // only "kept", never acknowledged here
  });

  it("recreates its group when the stream vanishes (as after a restart without persistence)", async () => {
    const driver = await connect();
    const queue = newQueue();
    await driver.enqueue(queue, bytes("before"));
    const r = await reader(driver, queue, "c1");
    await r.waitFor(1);
    await admin.del(keyPrefix + queue);
    await driver.enqueue(queue, bytes("after"));
    await r.waitFor(2);
    await r.stop();
    expect(r.messages.map(textOf)).toEqual(["before", "after"]);
  });

  it("survives its connections being killed mid-stream (data kept), losing nothing", async () => {
    const consumerId = `survivor-${Date.now().toString(36)}`;
    const main = new Redis(redis.url, { connectionName: consumerId });
    const driver = await RedisDriver.connect({
      client: main,
      keyPrefix,
      claimIdle: 300,
      block: 100,
      logger: silentLogger,
    });
    const queue = newQueue();
    const r = await reader(driver, queue, consumerId);
    const settled = async (from: number) => {
      for (const message of r.messages.slice(from)) await driver.acknowledge(message);
    };
    for (let n = 0; n < 20; n++) await driver.enqueue(queue, bytes(`m${n}`));
    await r.waitFor(20);
    await settled(0);
    // Drops the driver's command connection and the receive loop's blocked one, as a network blip would.
    const clients = String(await admin.client("LIST")).split("\n");
    const ours = clients.filter(
      (line) => line.includes(`name=${consumerId}`) || line.includes(`:${consumerId} `),
    );
    expect(ours).toHaveLength(2);
    for (const line of ours)
      await admin.client("KILL", "ID", (/\bid=(\d+)/.exec(line) as RegExpExecArray)[1] as string);
    for (let n = 20; n < 40; n++) await driver.enqueue(queue, bytes(`m${n}`));
    await r.waitFor(40);
    await settled(20);
    await r.stop();
    await driver.close();
    main.disconnect();
    expect(r.messages.map(textOf)).toEqual(Array.from({ length: 40 }, (_, n) => `m${n}`));
    const [pendingCount] = (await admin.xpending(keyPrefix + queue, "g")) as [number];
    expect(pendingCount).toBe(0);
  });

  it("trims the stream approximately to max_len", async () => {
    const driver = await connect({ maxLen: 10 });
    const queue = newQueue();
    for (let i = 0; i < 500; i++) await driver.enqueue(queue, bytes(String(i)));
    // "~" trims whole internal nodes (100 entries by default), so the length stays near, not at, 10.
    expect(await admin.xlen(keyPrefix + queue)).toBeLessThan(250);
  });

  it("ends a blocked read at once when its signal is aborted", async () => {
    const driver = await connect({ block: "30s" });
    const r = await reader(driver, newQueue(), "c1");
    await sleep(200); // let it block
    const stopped = await Promise.race([r.stop().then(() => true), sleep(5000).then(() => false)]);
    expect(stopped).toBe(true);
  });

  it("ends its receive loops on close", async () => {
    const driver = await connect({ block: "30s" });
    const r = await reader(driver, newQueue(), "c1");
    await driver.close();
    const ended = await Promise.race([r.done.then(() => true), sleep(5000).then(() => false)]);
    expect(ended).toBe(true);
  });

  it("holds at most pool_size receives at once", async () => {
    const driver = await connect({ poolSize: 1 });
    const queue = newQueue();
    const first = await reader(driver, queue, "c1");
    const refused = await driver.receive(queue, { group: "g", consumerId: "c2" }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: PrismErrorCode.BackendRejected });
    expect((refused as Error).message).toContain("pool_size");
    await first.stop();
    const second = await reader(driver, queue, "c2");
    await second.stop();
  });

  it("refuses to settle a message it did not receive", async () => {
    const driver = await connect();
    const stranger: Message = {
      id: "1-0",
      topic: "q",
      payload: new Uint8Array(),
      metadata: {},
      timestamp: 0,
      position: undefined,
      deliveryAttempt: 1,
    };
    await expect(driver.acknowledge(stranger)).rejects.toMatchObject({
      code: PrismErrorCode.BackendRejected,
    });
  });
});
