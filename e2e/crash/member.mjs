// One replica for the crash harness: the consumer built from the run's YAML, as a user deploys it. Each
// processed message becomes a row in the side table (id, member, position, time).
// Usage: node member.mjs <config.yaml> <member-label> <side-table>
// Env: DATABASE_URL (side table), PRISM_CRASH_DELAY_MS (per-message work), PRISM_CRASH_TRANSACTIONAL
// (rows written through the consumer's transaction: `transactional: true` in the YAML). SIGTERM stops
// gracefully.
import { createConsumer, loadConfigFile, silentLogger } from "@prism/consumer-core";
import { kafkaDriver } from "@prism/driver-kafka";
import { memstoreDriver } from "@prism/driver-memstore";
import { natsDriver } from "@prism/driver-nats";
import { postgresDriver, transactionOf } from "@prism/driver-postgres";
import { redisDriver } from "@prism/driver-redis";
import pg from "pg";

const [configPath, member, table] = process.argv.slice(2);
const delayMs = Number(process.env.PRISM_CRASH_DELAY_MS ?? 0);
const transactional = process.env.PRISM_CRASH_TRANSACTIONAL === "1";
const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db.connect();

const logger = {
  ...silentLogger,
  error: (message, fields) => console.error(`[${member}] ${message} ${JSON.stringify(fields ?? {})}`),
};
let consumer;
try {
  const config = await loadConfigFile(configPath);
  consumer = await createConsumer(config, {
    drivers: {
      kafka: kafkaDriver,
      // Imported when a config names it: it needs Node >= 22.22.
      "kafka-platformatic": async (config, context) =>
        (await import("@prism/driver-kafka-platformatic")).kafkaPlatformaticDriver(config, context),
      nats: natsDriver,
      postgres: postgresDriver,
      redis: redisDriver,
      memstore: memstoreDriver,
    },
    logger,
  });
} catch (error) {
  console.error(`[${member}] could not create the consumer: ${error.message}`);
  process.exit(2);
}

const decoder = new TextDecoder();
const insert = `INSERT INTO ${table} (id, member, partition, "offset", at) VALUES ($1, $2, $3, $4, $5)`;
consumer.setProcessor(async (message, context) => {
  const id = Number(decoder.decode(message.payload).slice(1));
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  const position = message.position;
  const row = [id, member, position?.partition ?? "", String(position?.offset ?? ""), Date.now()];
  await (transactional ? transactionOf(context) : db).query(insert, row);
});

try {
  await consumer.start();
} catch (error) {
  console.error(`[${member}] start failed: ${error.message}`);
  process.exit(2);
}
console.log(`ready ${member}`);
consumer.closed().then((failure) => {
  if (failure) {
    console.error(`[${member}] consumer failed: ${failure.message}`);
    process.exit(3);
  }
});
process.on("SIGTERM", async () => {
  await consumer.stop();
  await db.end();
  process.exit(0);
});
