import { Consumer, decodeState, silentLogger, stateKey } from "@prism/consumer-core";
import { type TcpProxy, tcpProxy } from "@prism/consumer-testkit";
import { MemStore } from "@prism/driver-memstore";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver, type NatsDriverOptions } from "../src/index.js";
import { behavior, bytes, text, waitFor } from "./consumer-support.js";
import { deleteStreamsContaining, loseNextDelivery, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const restartNats = nats.available ? nats.restarter() : undefined;
const runPrefix = uniquePrefix("crash");
let topics = 0;
const newTopic = () => `${runPrefix}.orders${++topics}`;
const total = 900;

/**
 * The scenario of a delivery lost in flight: a consumer (JetStream pub/sub, manual commits) is mid-stream
 * when the connection is lost; after the reconnect it processes newer messages and commits; then its
 * process dies (the driver closes, nothing more is committed) within `ack_wait`, so JetStream has not
 * redelivered what it lost yet. A new process joins the group: the checkpoint is ahead of the lost
 * message, but the consumer acknowledges after processing, so JetStream still holds it as unacknowledged
 * and delivers it after `ack_wait`. Every message must be processed at least once.
 */
describe.runIf(nats.available)("a consumer that crashes after a lost connection loses nothing", () => {
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

  async function crashAndResume(url: string, fault: () => Promise<unknown>): Promise<void> {
    const topic = newTopic();
    const store = new MemStore();
    const processed: string[] = [];
    const consumer = (driver: NatsDriver) =>
      new Consumer({
        name: "order-processor",
        behavior: behavior({ topic, autoCommit: false }),
        logger: silentLogger,
      })
        .bindSlots(driver, store)
        .setProcessor(async (message) => {
          processed.push(text(message.payload));
          await new Promise((resolve) => setTimeout(resolve, 1));
        });

    // ack_wait longer than the crash takes: JetStream has not redelivered the lost message by then.
    const first = await open({ url, fetchBatch: 16, ackWait: "3s" });
    for (let i = 0; i < total; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => first.publish(topic, bytes(String(i + j)))));
    }
    const running = consumer(first);
    await running.start();
    await waitFor(() => processed.length >= 200, "200 processed");
    await fault();
    const afterFault = processed.length;
    await waitFor(() => processed.length >= afterFault + 300, "300 more processed after the reconnect");
    const committed = await running.commit();
    expect(Number(committed.offsets["0"])).toBeGreaterThan(200);
    await first.close(); // the crash: the iteration ends, the consumer fails, nothing more is committed
    await running.closed();
    const key = stateKey("order-processor-group", topic, "order-processor");
    expect(decodeState((await store.get(key)) as Uint8Array, key).offsets).toEqual(committed.offsets);

    const second = await open({ ackWait: "3s" });
    const resumed = consumer(second);
    await resumed.start();
    const missing = () => {
      const done = new Set(processed);
      return Array.from({ length: total }, (_, n) => String(n)).filter((n) => !done.has(n));
    };
    await waitFor(() => missing().length === 0, "every order processed", 30_000).catch(() => {});
    await resumed.stop();
    expect(missing()).toEqual([]);
  }

  it.runIf(restartNats)(
    "the server restarts mid-stream",
    async () => {
      await crashAndResume(nats.url, async () => restartNats?.());
    },
    120_000,
  );

  it("the connection drops with deliveries in flight (the server stays up)", async () => {
    const proxy = await tcpProxy({ target: nats.url });
    proxies.push(proxy);
    await crashAndResume(proxy.url, () => loseNextDelivery(proxy));
  }, 120_000);
});
