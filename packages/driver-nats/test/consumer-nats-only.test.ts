import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import {
  Consumer,
  createConsumer,
  DeadLetterKey,
  decodeState,
  parseConfigYaml,
  silentLogger,
} from "@prism/consumer-core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { NatsDriver, natsDriver } from "../src/index.js";
import { behavior, bytes, drain, processor, text, waitFor } from "./consumer-support.js";
import { deleteStreamsContaining, uniquePrefix } from "./nats-test-support.js";

const nats = await backend("nats");
const runPrefix = uniquePrefix("nats-only");

describe.runIf(nats.available)("the consumer with NATS as source, dead-letter queue and state store", () => {
  const drivers: NatsDriver[] = [];
  // One bucket per run; deleted with the run's streams (the bucket is the stream KV_{bucket}).
  const kvBucket = `${runPrefix}-state`;
  const open = async () => {
    const driver = await NatsDriver.connect({ url: nats.url, kvBucket, logger: silentLogger });
    drivers.push(driver);
    return driver;
  };
  const consumer = (driver: NatsDriver, topic: string, processed: string[]) =>
    new Consumer({ name: "order-processor", behavior: behavior({ topic }), logger: silentLogger })
      .bindSlots(driver, driver, driver) // source, state store, dead-letter queue: one package, one driver
      .setProcessor(processor(processed, { malformed: ["2"], declined: ["4"] }));

  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.close()));
  });
  afterAll(() => deleteStreamsContaining(nats.url, runPrefix));

  it("dead-letters, checkpoints into the KV bucket and resumes after a restart without reprocessing", async () => {
    const topic = `${runPrefix}.orders`;
    const nats1 = await open();
    for (let n = 0; n < 6; n++) await nats1.publish(topic, bytes(String(n)));
    const processed: string[] = [];
    const first = consumer(nats1, topic, processed);
    await first.start();
    await waitFor(() => processed.length === 4 && first.health().counters.deadLettered === 2, "4 processed");
    await first.stop();
    expect(processed).toEqual(["0", "1", "3", "5"]);

    const dead = await drain(nats1, `${topic}.dlq`, 2);
    expect(dead.map((m) => text(m.payload))).toEqual(["2", "4"]);
    expect(dead[1]?.metadata).toMatchObject({
      [DeadLetterKey.OriginalTopic]: topic,
      [DeadLetterKey.Error]: "payment for order 4 was declined",
      [DeadLetterKey.Attempts]: "3",
    });

    // The checkpoint is the seed's JSON, readable through the driver and in the bucket itself.
    const stored = await nats1.get(first.stateKey);
    expect(stored && decodeState(stored, first.stateKey)).toMatchObject({
      offset: 6,
      offsets: { "0": 6 },
      last_message_id: "6",
    });
    const admin = await connect({ servers: nats.url });
    try {
      const entry = await (await new Kvm(admin).open(kvBucket)).get(
        `consumer_3Aorder-processor-group_3A${topic}_3Aorder-processor`,
      );
      expect(entry?.json()).toMatchObject({ offsets: { "0": 6 } });
    } finally {
      await admin.close();
    }

    // A new process: a new connection; only the KV bucket says where the last run stopped.
    const nats2 = await open();
    for (let n = 6; n < 8; n++) await nats2.publish(topic, bytes(String(n)));
    const afterRestart: string[] = [];
    const second = consumer(nats2, topic, afterRestart);
    await second.start();
    await waitFor(() => afterRestart.length === 2, "the two new orders");
    await second.stop();
    expect(afterRestart).toEqual(["6", "7"]);
    const restored = await nats2.get(second.stateKey);
    expect(restored && decodeState(restored, second.stateKey)).toMatchObject({ offsets: { "0": 8 } });
  });

  it('from YAML: driver "nats" in all three slots, the state in kv_bucket', async () => {
    const topic = `${runPrefix}.yaml`;
    const nats3 = `
      driver: "nats"
      config:
        url: "\${NATS_URL}"
        kv_bucket: "${kvBucket}"`;
    const yaml = `
name: order-processor
slots:
  message_source:${nats3}
  state_store:${nats3}
  dead_letter_queue:${nats3}
behavior:
  consumer_group: "order-processor-group"
  topic: "${topic}"
  commit_interval: 1h
`;
    const driver = await open();
    for (let n = 0; n < 3; n++) await driver.publish(topic, bytes(String(n)));
    const created = await createConsumer(parseConfigYaml(yaml, { env: { NATS_URL: nats.url } }), {
      drivers: { nats: natsDriver },
      logger: silentLogger,
    });
    const processed: string[] = [];
    created.setProcessor(processor(processed));
    await created.start();
    await waitFor(() => processed.length === 3, "3 processed");
    await created.stop();
    const stored = await driver.get(created.stateKey);
    expect(stored && decodeState(stored, created.stateKey)).toMatchObject({ offsets: { "0": 3 } });
  });
});
