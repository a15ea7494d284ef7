// The servers the examples talk to, read exactly as the test suites read them: DATABASE_URL, REDIS_URL,
// NATS_URL and KAFKA_BROKERS when set, otherwise this checkout's own servers from `pnpm services:up`
// (PostgreSQL 127.0.0.1:15432, Redis 16379, NATS 14222, Kafka 19092, or the PRISM_<SERVICE>_PORT
// chosen for them).
import { settings } from "../scripts/services/probe.mjs";

export const databaseUrl = settings("postgres").raw;
export const redisUrl = settings("redis").raw;
export const natsUrl = settings("nats").raw;
export const kafkaBrokers = settings("kafka").raw.split(",");

/** The same as variables, for the `${…}` in the example YAML files. */
export const connectionVariables = {
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  NATS_URL: natsUrl,
  KAFKA_BROKERS: kafkaBrokers.join(","),
};
