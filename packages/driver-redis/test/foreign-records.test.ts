import { Consumer, DeadLetterKey, type Message, silentLogger } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { RedisDriver } from "../src/index.js";
import { deleteKeysUnder, uniquePrefix } from "./redis-test-support.js";

// Entries written by producers we did not write (XADD from redis-cli or any client): each reaches the
// processor intact, or the dead-letter queue with the reason, and the entries after it are processed.

const redis = await backend("redis");
const keyPrefix = uniquePrefix("foreign");
const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a]);
const text = (message: Message | undefined) => Buffer.from(message?.payload ?? []).toString("utf8");

describe.runIf(redis.available)("stream entries from producers we did not write", () => {
  afterAll(() => deleteKeysUnder(redis.url, keyPrefix));

  it("are delivered intact or dead-lettered with the reason, and the entries after them follow", async () => {
    const queue = "orders";
    const raw = new Redis(redis.url);
    const add = (...fields: Array<string | Buffer>) => raw.xadd(keyPrefix + queue, "*", ...fields);
    await add("payload", "plain", "source", "cli", "attempt", "3");
    await add("payload", "");
    await add("payload", binary, "raw", binary);
    await add("payload", "unicode", "ключ-🔑", "значение ✓");
    await add(
      "payload",
      "nested",
      "metadata",
      '{"trace":"t-1","retries":2,"ok":true,"none":null,"tags":["a"],"geo":{"lat":1.5}}',
      "source",
      "cli",
    );
    await add(
      "payload",
      "own and foreign",
      "metadata",
      '{"source":"json wins"}',
      "source",
      "field",
      "ts",
      "1700000000123",
    );
    await add("payload", "odd ts", "ts", "yesterday");
    await add("order_id", "42", "amount", "10");
    await add("payload", "bad metadata", "metadata", "[1, 2]");
    await add("payload", "after");
    raw.disconnect();

    const source = await RedisDriver.connect({ url: redis.url, keyPrefix, logger: silentLogger });
    const store = new MemStore();
    const received: Message[] = [];
    const consumer = new Consumer({
      name: "foreign",
      behavior: { consumerGroup: "foreign", topic: queue },
      logger: silentLogger,
    })
      .bindSlots(source, store, store)
      .setProcessor((message) => {
        received.push(message);
      });
    await consumer.start();
    const deadline = Date.now() + 20_000;
    while (!received.some((m) => text(m) === "after") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await consumer.stop();
    await source.close();

    expect(received.map(text)).toEqual([
      "plain",
      "",
      binary.toString("utf8"),
      "unicode",
      "nested",
      "own and foreign",
      "odd ts",
      "after",
    ]);
    const [plain, empty, bytes, unicode, nested, mixed, oddTs] = received;
    expect(plain?.metadata).toEqual({ source: "cli", attempt: "3" });
    expect(empty?.metadata).toEqual({});
    expect(Buffer.from(bytes?.payload ?? [])).toEqual(binary);
    expect(bytes?.metadata).toEqual({ "raw.base64": binary.toString("base64") });
    expect(unicode?.metadata).toEqual({ "ключ-🔑": "значение ✓" });
    // Non-string JSON values as JSON text, as the PostgreSQL driver gives them.
    expect(nested?.metadata).toEqual({
      trace: "t-1",
      retries: "2",
      ok: "true",
      none: "null",
      tags: '["a"]',
      geo: '{"lat":1.5}',
      source: "cli",
    });
    expect(mixed?.metadata).toEqual({ source: "json wins" });
    expect(mixed?.timestamp).toBe(1700000000123);
    expect(oddTs?.metadata).toEqual({ ts: "yesterday" });
    expect(oddTs?.timestamp).toBe(Number(oddTs?.id.split("-")[0]));

    const abort = new AbortController();
    const dead: Message[] = [];
    for await (const message of await store.receive(`${queue}.dlq`, { signal: abort.signal })) {
      dead.push(message);
      if (dead.length === 2) abort.abort();
    }
    expect(dead.map((m) => [text(m), m.metadata[DeadLetterKey.Error]])).toEqual([
      [
        "",
        expect.stringMatching(
          /could not be converted: redis entry \S+: it has no "payload" field \(fields: order_id, amount\)$/,
        ),
      ],
      [
        "bad metadata",
        expect.stringMatching(
          /could not be converted: redis entry \S+: its "metadata" field is not a JSON object$/,
        ),
      ],
    ]);
    // Their fields travel with them, so nothing of the entry is lost.
    expect(dead[0]?.metadata).toMatchObject({ order_id: "42", amount: "10" });
    expect(dead[1]?.metadata).toMatchObject({ metadata: "[1, 2]" });
    expect(consumer.health().counters).toMatchObject({ received: 10, processed: 8, deadLettered: 2 });
  }, 30_000);
});
