import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type Logger, type Message, silentLogger } from "@prism/consumer-core";
import { type TcpProxy, tcpProxy } from "@prism/consumer-testkit";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver, type NatsDriverOptions } from "../src/index.js";
import { deleteStreamsContaining, loseNextDelivery, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const restartNats = nats.available ? nats.restarter() : undefined;
const runPrefix = uniquePrefix("order");
const bytes = (text: string) => new TextEncoder().encode(text);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let subjects = 0;
const newSubject = () => `${runPrefix}-${++subjects}`;

/** The stream sequences `subject`'s stream holds (the driver's stream for it holds nothing else). */
async function streamSequences(subject: string): Promise<number[]> {
  const connection = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(connection);
    const { state } = await jsm.streams.info(`PRISM_${subject}`);
    return Array.from({ length: state.last_seq - state.first_seq + 1 }, (_, i) => state.first_seq + i);
  } finally {
    await connection.close();
  }
}

/** Publishes `count` messages concurrently, in chunks. */
async function publishMany(driver: NatsDriver, subject: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 100) {
    const chunk = Array.from({ length: Math.min(100, count - i) }, (_, j) => String(i + j));
    await Promise.all(chunk.map((n) => driver.publish(subject, bytes(n))));
  }
}

/**
 * Reads `subject` as group "g" slowly (`delayMs` per message), runs `fault` once `faultAfter` messages
 * were handed over, and keeps reading until every sequence of the stream arrived and then for `lingerMs`
 * more (so that late redeliveries would show). Returns the stream sequences in hand-over order.
 */
async function readThrough(
  driver: NatsDriver,
  subject: string,
  options: { faultAfter: number; fault: () => Promise<unknown>; delayMs: number; lingerMs: number },
): Promise<{ handedOver: number[]; expected: number[] }> {
  const expected = await streamSequences(subject);
  const abort = new AbortController();
  const handedOver: number[] = [];
  const seen = new Set<number>();
  let faulted: Promise<unknown> | undefined;
  const reading = (async () => {
    for await (const message of await driver.subscribe(subject, "g", { signal: abort.signal })) {
      handedOver.push(Number(message.id));
      seen.add(Number(message.id));
      if (handedOver.length === options.faultAfter) faulted = options.fault();
      if (options.delayMs > 0) await sleep(options.delayMs);
    }
  })();
  const deadline = Date.now() + 60_000;
  while (seen.size < expected.length && Date.now() < deadline) await sleep(50);
  await sleep(options.lingerMs);
  abort.abort();
  await reading;
  await faulted;
  return { handedOver, expected };
}

/** Where the hand-over order went backwards (or repeated), as `previous->next@index`. */
function backwardSteps(sequences: number[]): string[] {
  const steps: string[] = [];
  for (let i = 1; i < sequences.length; i++) {
    const [previous, next] = [sequences[i - 1] as number, sequences[i] as number];
    if (next <= previous) steps.push(`${previous}->${next}@${i}`);
  }
  return steps;
}

describe.runIf(nats.available)("JetStream pub/sub keeps stream order across lost connections", () => {
  const drivers: NatsDriver[] = [];
  const proxies: TcpProxy[] = [];
  const open = async (options: NatsDriverOptions = {}) => {
    const driver = await NatsDriver.connect({ url: nats.url, logger: silentLogger, ...options });
    drivers.push(driver);
    return driver;
  };

  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.close()));
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });
  afterAll(() => deleteStreamsContaining(nats.url, runPrefix));

  it.runIf(restartNats)(
    "hands over every sequence once, in order, while the server restarts mid-delivery",
    async () => {
      const subject = newSubject();
      // A short ack_wait: without ordering, redeliveries would arrive (late, out of order) within the test.
      const driver = await open({ fetchBatch: 8, ackWait: "3s" });
      await publishMany(driver, subject, 1500);
      const { handedOver, expected } = await readThrough(driver, subject, {
        faultAfter: 300,
        fault: async () => restartNats?.(),
        delayMs: 1,
        lingerMs: 4000,
      });
      expect(backwardSteps(handedOver)).toEqual([]);
      expect(handedOver).toEqual(expected);
    },
    120_000,
  );

  it("brings a delivery lost in flight back before newer messages (connection dropped, server up)", async () => {
    const subject = newSubject();
    const proxy = await tcpProxy({ target: nats.url });
    proxies.push(proxy);
    const driver = await open({ url: proxy.url, fetchBatch: 16, ackWait: "3s" });
    await publishMany(driver, subject, 1500);
    let lostBytes = 0;
    const { handedOver, expected } = await readThrough(driver, subject, {
      faultAfter: 300,
      fault: async () => {
        lostBytes = await loseNextDelivery(proxy);
      },
      delayMs: 1,
      lingerMs: 4000,
    });
    expect(lostBytes).toBeGreaterThan(0); // deliveries really were lost in flight
    expect(driver.driverHealth().reconnects).toBeGreaterThanOrEqual(1);
    expect(backwardSteps(handedOver)).toEqual([]);
    expect(handedOver).toEqual(expected);
  }, 120_000);

  it("a later subscription of the process continues right after the last message handed over", async () => {
    const subject = newSubject();
    const driver = await open({ fetchBatch: 16, ackWait: "3s" });
    await publishMany(driver, subject, 40);
    const first: Message[] = [];
    for await (const message of await driver.subscribe(subject, "g")) {
      first.push(message);
      if (first.length === 10) break; // the rest pulled ahead is given back
    }
    const abort = new AbortController();
    const second: number[] = [];
    const timer = setTimeout(() => abort.abort(), 4000); // longer than ack_wait: late redeliveries show
    for await (const message of await driver.subscribe(subject, "g", { signal: abort.signal })) {
      second.push(Number(message.id));
    }
    clearTimeout(timer);
    expect([...first.map((m) => Number(m.id)), ...second]).toEqual(await streamSequences(subject));
  });

  it("members of a group in two processes share its messages: no thrashing, nothing lost, a warning", async () => {
    const subject = newSubject();
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
    const a = await open({ fetchBatch: 4, logger });
    const b = await open({ fetchBatch: 4, logger });
    const abort = new AbortController();
    const [seenByA, seenByB] = [new Set<number>(), new Set<number>()];
    const read = async (driver: NatsDriver, into: Set<number>) => {
      for await (const message of await driver.subscribe(subject, "g", { signal: abort.signal })) {
        into.add(Number(message.id));
        await sleep(1);
      }
    };
    const readers = [read(a, seenByA), read(b, seenByB)];
    await publishMany(a, subject, 600);
    const union = () => new Set([...seenByA, ...seenByB]);
    const deadline = Date.now() + 20_000;
    while (union().size < 600 && Date.now() < deadline) await sleep(50);
    abort.abort();
    await Promise.all(readers);
    expect([...union()].sort((x, y) => x - y)).toEqual(await streamSequences(subject));
    expect(seenByA.size).toBeGreaterThan(0);
    expect(seenByB.size).toBeGreaterThan(0);
    expect(warnings.some((w) => w.includes("no longer keeps stream order"))).toBe(true);
  });
});
