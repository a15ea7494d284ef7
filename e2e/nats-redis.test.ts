import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { decodeState, type Message, stateKey } from "@prism/consumer-core";
import { NatsDriver } from "@prism/driver-nats";
import { Redis } from "ioredis";
import { backend } from "../scripts/test-support/backends.mjs";
import { describePluginEndToEnd, type RunNames } from "./support/end-to-end.js";

const nats = await backend("nats");
const redis = await backend("redis");

// The seed's order-processor YAML, with this run's names and a short backoff.
const yaml = (names: RunNames, natsUrl = nats.url) => `
name: "${names.name}"
description: "Processes order events"

slots:
  message_source:
    driver: "nats"
    config:
      url: "${natsUrl}"
      max_reconnects: 10

  state_store:
    driver: "redis"
    config:
      address: "\${REDIS_ADDRESS:-${new URL(redis.url).host}}"
      pool_size: 10

  dead_letter_queue:
    driver: "nats"
    config:
      url: "${natsUrl}"

behavior:
  consumer_group: "${names.group}"
  topic: "${names.topic}"
  max_retries: 2
  retry_backoff: { initial: "10ms" }
  batch_size: 0
  auto_commit: true
  commit_interval: "1s"
`;

describePluginEndToEnd({
  plugin: "nats-redis",
  resumesFromCheckpoint: false,
  available: nats.available && redis.available,
  yaml,
  unreachableYaml: (names) => yaml(names, "nats://127.0.0.1:1"),
  async publish(names, payloads) {
    const driver = await NatsDriver.connect({ url: nats.url });
    const encoder = new TextEncoder();
    for (let i = 0; i < payloads.length; i += 200) {
      await Promise.all(
        payloads.slice(i, i + 200).map((p) => driver.publish(names.topic, encoder.encode(p))),
      );
    }
    await driver.close();
  },
  async readState(names) {
    const client = new Redis(redis.url);
    const key = stateKey(names.group, names.topic, names.name);
    const value = await client.getBuffer(key);
    client.disconnect();
    return value ? decodeState(value, key) : undefined;
  },
  async deadLetters(names) {
    const driver = await NatsDriver.connect({ url: nats.url });
    const abort = new AbortController();
    const found: Message[] = [];
    const timer = setTimeout(() => abort.abort(), 1500);
    for await (const message of await driver.receive(`${names.topic}.dlq`, {
      signal: abort.signal,
      group: "e2e-check",
    })) {
      found.push(message);
      await driver.acknowledge(message);
    }
    clearTimeout(timer);
    await driver.close();
    const decoder = new TextDecoder();
    return found.map((m) => ({ payload: decoder.decode(m.payload), metadata: m.metadata }));
  },
  async cleanup(names) {
    const client = new Redis(redis.url);
    await client.del(stateKey(names.group, names.topic, names.name));
    client.disconnect();
    const connection = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(connection);
    for (const subject of [names.topic, `${names.topic}.dlq`]) {
      const stream = await jsm.streams.find(subject).catch(() => undefined);
      if (stream) await jsm.streams.delete(stream);
    }
    await connection.close();
  },
});
