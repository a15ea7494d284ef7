// The seed's "Composability": the same consumer code over different drivers, bound by hand.
// Needs the servers from `pnpm services:up` (or NATS_URL, REDIS_URL, KAFKA_BROKERS and DATABASE_URL).
import { Consumer, silentLogger } from "@prism/consumer-core";
import { KafkaDriver } from "@prism/driver-kafka";
import { MemStore } from "@prism/driver-memstore";
import { NatsDriver } from "@prism/driver-nats";
import { PostgresDriver } from "@prism/driver-postgres";
import { RedisDriver } from "@prism/driver-redis";
import { databaseUrl, kafkaBrokers, natsUrl, redisUrl } from "./connections.mjs";

const encoder = new TextEncoder();
const run = Date.now().toString(36);

async function consumeThree(label, source, stateStore, bindOptions) {
  const topic = `compose.${label}.${run}`;
  const consumer = new Consumer({
    name: "composed",
    behavior: { consumerGroup: `composed-${run}`, topic },
    logger: silentLogger,
  })
    .bindSlots(source, stateStore, undefined, bindOptions)
    .setProcessor(() => {});
  await consumer.start();
  for (let i = 0; i < 3; i++) await source.publish(topic, encoder.encode(`message ${i}`));
  while (consumer.health().counters.processed < 3) await new Promise((resolve) => setTimeout(resolve, 20));
  const state = await consumer.commit();
  await consumer.stop();
  console.log(`${label.padEnd(16)} processed 3; state ${JSON.stringify(state.offsets)}`);
}

const nats = await NatsDriver.connect({ url: natsUrl });
const redis = await RedisDriver.connect({ url: redisUrl });
const kafka = await KafkaDriver.connect({ brokers: kafkaBrokers });
const postgres = await PostgresDriver.connect({ connectionString: databaseUrl });

await consumeThree("nats-memstore", nats, new MemStore()); // development: fast, local
await consumeThree("nats-redis", nats, redis); // staging: realistic
await consumeThree("kafka-postgres", kafka, postgres, { sourceInterface: "queue" }); // production: durable

await Promise.all([nats.close(), redis.close(), kafka.close(), postgres.close()]);
