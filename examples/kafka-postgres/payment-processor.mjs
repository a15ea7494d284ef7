// The seed's payment-processor with the kafka-postgres plugin: batches of 10, manual commits.
// Needs Kafka and PostgreSQL: this checkout's (`pnpm services:up`), or KAFKA_BROKERS and DATABASE_URL.
import { fileURLToPath } from "node:url";
import { KafkaDriver } from "@prism/driver-kafka";
import { kafkaPostgres } from "@prism/plugin-kafka-postgres";
import { connectionVariables, kafkaBrokers } from "../connections.mjs";

const configFile = fileURLToPath(new URL("../payment-processor.kafka-postgres.yaml", import.meta.url));
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const plugin = kafkaPostgres(configFile, { env: { ...process.env, ...connectionVariables } });
let total = 0;
plugin.setBatchProcessor(async (payments) => {
  for (const payment of payments) total += JSON.parse(decoder.decode(payment.payload)).amount;
});
await plugin.start();
const before = plugin.health().counters.processed;

const kafka = await KafkaDriver.connect({ brokers: kafkaBrokers });
for (let i = 1; i <= 25; i++) {
  await kafka.publish("payments.pending", encoder.encode(JSON.stringify({ id: i, amount: i })), {
    "kafka-key": `customer-${i % 5}`,
  });
}
await kafka.close();

while (plugin.health().counters.processed - before < 25)
  await new Promise((resolve) => setTimeout(resolve, 50));
const state = await plugin.commit(); // auto_commit is false: commit when it suits the application
await plugin.stop();
console.log(`processed 25 payments (sum ${total}) in batches of up to 10`);
console.log(`checkpoint under ${plugin.instance.stateKey}: ${JSON.stringify(state.offsets)}`);
