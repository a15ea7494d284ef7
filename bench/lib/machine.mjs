// What the figures were measured on: hardware, Node, and the versions of the servers that answered.
import os from "node:os";
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import pg from "pg";
import { kafkaVersion } from "../../scripts/services/services.mjs";
import { serviceUrl } from "./services.mjs";

export async function describeMachine(reachable) {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((load) => Number(load.toFixed(2))),
    servers: await serverVersions(reachable),
  };
}

async function serverVersions(reachable) {
  const ask = {
    postgres: async () => {
      const client = new pg.Client({ connectionString: serviceUrl("postgres") });
      await client.connect();
      try {
        return `PostgreSQL ${(await client.query("SHOW server_version")).rows[0].server_version}`;
      } finally {
        await client.end();
      }
    },
    redis: async () => {
      const client = new Redis(serviceUrl("redis"), { lazyConnect: true });
      await client.connect();
      try {
        return `Redis ${/redis_version:(\S+)/.exec(await client.info("server"))?.[1]}`;
      } finally {
        client.disconnect();
      }
    },
    nats: async () => {
      const nc = await connect({ servers: serviceUrl("nats") });
      try {
        return `nats-server ${nc.info?.version}, JetStream ${nc.info?.jetstream ? "on" : "off"}`;
      } finally {
        await nc.close();
      }
    },
    // Kafka does not report its version over the protocol; the local harness pins it.
    kafka: async () =>
      process.env.KAFKA_BROKERS
        ? "Kafka (version not reported)"
        : `Kafka ${kafkaVersion()} (KRaft, local harness)`,
  };
  const versions = {};
  for (const [name, version] of Object.entries(ask)) {
    if (!reachable[name]) continue;
    versions[name] = await version().catch((error) => `unknown (${error.message})`);
  }
  return versions;
}
