// The message sources the crash harness runs replicas of: each one's YAML (as a user would write it, with
// the product's defaults), how the harness publishes to it, reads its stored checkpoint, and cleans up.
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { decodeState, stateKey } from "@prism/consumer-core";
import { KafkaDriver } from "@prism/driver-kafka";
import { NatsDriver } from "@prism/driver-nats";
import { PostgresDriver } from "@prism/driver-postgres";
import { RedisDriver } from "@prism/driver-redis";
import { Redis } from "ioredis";
import pg from "pg";

const encoder = new TextEncoder();

/** Publishes `payloads` in concurrent chunks through `publish`. */
async function publishChunked(publish, payloads, chunk = 100) {
  for (let i = 0; i < payloads.length; i += chunk) {
    await Promise.all(payloads.slice(i, i + chunk).map((p) => publish(encoder.encode(p))));
  }
}

const behavior = (names, extra) => `
behavior:
  consumer_group: "${names.group}"
  topic: "${names.topic}"
  max_retries: 2
  retry_backoff: { initial: "10ms" }
${extra ?? ""}`;

/** The state_store slot on PostgreSQL (transactional mode needs it), in the run's own schema. */
const postgresState = (url, names) => `
  state_store:
    driver: "postgres"
    config:
      connection_string: "${url}"
      schema: "${names.schema}"`;

/** A state store that reads the checkpoint as the consumer stores it. */
function stateReader(store, names) {
  const key = stateKey(names.group, names.topic, names.name);
  return async () => {
    const bytes = await store.get(key);
    return bytes === undefined ? undefined : decodeState(bytes, key);
  };
}

/**
 * @param {{ nats: string, redis: string, postgres: string, kafka: string }} urls
 * @returns {Record<string, Source>}
 */
export function sources(urls) {
  const natsYaml = (names, iface, extra, transactional) => `
name: "${names.name}"
slots:
  message_source:
    driver: "nats"
    ${iface ? `interface: "${iface}"` : ""}
    config:
      url: "${urls.nats}"
${
  transactional
    ? postgresState(urls.postgres, names)
    : `  state_store:
    driver: "redis"
    config:
      url: "${urls.redis}"`
}
${behavior(names, extra)}`;

  /** Transactional runs keep the checkpoint in PostgreSQL, with the effects. */
  const postgresCheckpoint = async (names) => {
    const postgres = await PostgresDriver.connect({ connectionString: urls.postgres, schema: names.schema });
    return { checkpoint: stateReader(postgres, names), close: () => postgres.close() };
  };

  const jetstream = (iface) => ({
    label: `jetstream-${iface ?? "pubsub"}`,
    backends: ["nats", "redis"],
    yaml: (names, extra, transactional) => natsYaml(names, iface, extra, transactional),
    async open(names, transactional) {
      const nats = await NatsDriver.connect({ url: urls.nats });
      const state = transactional
        ? await postgresCheckpoint(names)
        : await RedisDriver.connect({ url: urls.redis }).then((redis) => ({
            checkpoint: stateReader(redis, names),
            close: () => redis.close(),
          }));
      return {
        publish: (payloads) => publishChunked((p) => nats.publish(names.topic, p), payloads),
        checkpoint: state.checkpoint,
        async close() {
          await nats.close();
          await state.close();
        },
      };
    },
    async cleanup(names) {
      const connection = await connect({ servers: urls.nats });
      const jsm = await jetstreamManager(connection);
      const stream = await jsm.streams.find(names.topic).catch(() => undefined);
      if (stream) await jsm.streams.delete(stream).catch(() => {});
      await connection.close();
      await deleteRedisKeys(urls.redis, `consumer:${names.group}:*`);
    },
  });

  return {
    "jetstream-pubsub": jetstream(undefined),
    "jetstream-queue": jetstream("queue"),
    redis: {
      label: "redis-streams",
      backends: ["redis"],
      yaml: (names, extra, transactional) => `
name: "${names.name}"
slots:
  message_source:
    driver: "redis"
    config:
      url: "${urls.redis}"
      key_prefix: "${names.prefix}"
${
  transactional
    ? postgresState(urls.postgres, names)
    : `  state_store:
    driver: "redis"
    config:
      url: "${urls.redis}"
      key_prefix: "${names.prefix}"`
}
${behavior(names, extra)}`,
      async open(names, transactional) {
        const redis = await RedisDriver.connect({ url: urls.redis, keyPrefix: names.prefix });
        const state = transactional
          ? await postgresCheckpoint(names)
          : { checkpoint: stateReader(redis, names), close: async () => {} };
        return {
          publish: (payloads) => publishChunked((p) => redis.enqueue(names.topic, p), payloads),
          checkpoint: state.checkpoint,
          async close() {
            await redis.close();
            await state.close();
          },
        };
      },
      cleanup: (names) => deleteRedisKeys(urls.redis, `${names.prefix}*`),
    },
    postgres: {
      label: "postgres-queue",
      backends: ["postgres"],
      yaml: (names, extra) => `
name: "${names.name}"
slots:
  message_source:
    driver: "postgres"
    config:
      connection_string: "${urls.postgres}"
      schema: "${names.schema}"
  state_store:
    driver: "postgres"
    config:
      connection_string: "${urls.postgres}"
      schema: "${names.schema}"
${behavior(names, extra)}`,
      async open(names) {
        const postgres = await PostgresDriver.connect({
          connectionString: urls.postgres,
          schema: names.schema,
        });
        return {
          publish: (payloads) => publishChunked((p) => postgres.enqueue(names.topic, p), payloads),
          checkpoint: stateReader(postgres, names),
          close: () => postgres.close(),
        };
      },
      async cleanup(names) {
        const client = new pg.Client({ connectionString: urls.postgres });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${names.schema}" CASCADE`);
        await client.end();
      },
    },
    kafka: kafkaSource(urls, {
      label: "kafka",
      driver: "kafka",
      connect: (options) => KafkaDriver.connect(options),
    }),
    "kafka-platformatic": kafkaSource(urls, {
      label: "kafka (@platformatic/kafka)",
      driver: "kafka-platformatic",
      minimumNode: "22.22.0",
      // Imported when used: it refuses to load on a Node older than 22.22.
      connect: async (options) =>
        (await import("@prism/driver-kafka-platformatic")).PlatformaticKafkaDriver.connect(options),
    }),
  };
}

/**
 * A Kafka source on one of the Kafka drivers: the kafka-postgres plugin's default (the topic consumed as
 * a queue, PostgreSQL state). `minimumNode`: the Node the driver needs (the harness skips it, loudly, on an
 * older one).
 */
function kafkaSource(urls, { label, driver, minimumNode, connect }) {
  return {
    label,
    backends: ["kafka", "postgres"],
    ...(minimumNode ? { minimumNode } : {}),
    yaml: (names, extra) => `
name: "${names.name}"
slots:
  message_source:
    driver: "${driver}"
    interface: "queue"
    config:
      brokers: "${urls.kafka}"
      partitions: 6
  state_store:
    driver: "postgres"
    config:
      connection_string: "${urls.postgres}"
      schema: "${names.schema}"
${behavior(names, extra)}`,
    async open(names) {
      const kafka = await connect({ brokers: urls.kafka.split(","), partitions: 6 });
      const postgres = await PostgresDriver.connect({
        connectionString: urls.postgres,
        schema: names.schema,
      });
      return {
        publish: (payloads) => publishChunked((p) => kafka.publish(names.topic, p), payloads, 500),
        checkpoint: stateReader(postgres, names),
        async close() {
          await kafka.close();
          await postgres.close();
        },
      };
    },
    async cleanup(names) {
      const { Kafka } = await import("kafkajs");
      const admin = new Kafka({ brokers: urls.kafka.split(","), logLevel: 0 }).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [names.topic] }).catch(() => {});
      await admin.deleteGroups([names.group]).catch(() => {});
      await admin.disconnect();
      const client = new pg.Client({ connectionString: urls.postgres });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${names.schema}" CASCADE`);
      await client.end();
    },
  };
}

/** Whether this Node is `minimum` ("22.22.0") or later. */
export function nodeAtLeast(minimum) {
  const have = process.versions.node.split(".").map(Number);
  const need = minimum.split(".").map(Number);
  const differs = need.findIndex((part, i) => have[i] !== part);
  return differs === -1 || have[differs] > need[differs];
}

async function deleteRedisKeys(url, pattern) {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
  client.disconnect();
}
