// The seed's order-processor with the nats-redis plugin, from the seed's YAML as written.
// Needs NATS with JetStream and Redis: this checkout's (`pnpm services:up`), or NATS_URL and REDIS_URL.
import { fileURLToPath } from "node:url";
import { DeadLetterKey, PermanentError } from "@prism/consumer-core";
import { NatsDriver } from "@prism/driver-nats";
import { natsRedis } from "@prism/plugin-nats-redis";
import { connectionVariables, natsUrl } from "../connections.mjs";

const configFile = fileURLToPath(new URL("../order-processor.nats-redis.yaml", import.meta.url));
const decoder = new TextDecoder();
const encoder = new TextEncoder();

const plugin = natsRedis(configFile, { env: { ...process.env, ...connectionVariables } });
const processed = [];
plugin.setProcessor(async (message, { attempt }) => {
  const order = JSON.parse(decoder.decode(message.payload));
  if (order.amount < 0) throw new PermanentError(`order ${order.id}: negative amount`);
  if (order.id % 4 === 0 && attempt === 1) throw new Error("inventory service timed out");
  processed.push(order.id);
});
await plugin.start();
console.log(`started; state key ${plugin.instance.stateKey}`);

// Publish through the same NATS the plugin reads (JetStream stores them).
const nats = await NatsDriver.connect({ url: natsUrl });
const runId = Date.now();
for (let i = 1; i <= 8; i++) {
  const order = { id: i, run: runId, amount: i === 5 ? -10 : 10 * i };
  await nats.publish("orders.created", encoder.encode(JSON.stringify(order)));
}

while (plugin.health().counters.processed + plugin.health().counters.deadLettered < 8) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const { counters } = plugin.health();
await plugin.stop();
console.log(
  `processed orders ${processed.join(", ")}; retries ${counters.retries}; dead-lettered ${counters.deadLettered}`,
);

// The dead-letter queue is a JetStream queue on "orders.created.dlq".
const abort = new AbortController();
setTimeout(() => abort.abort(), 1000);
for await (const dead of await nats.receive("orders.created.dlq", {
  signal: abort.signal,
  group: "dlq-reader",
})) {
  console.log(`dead letter: ${decoder.decode(dead.payload)} (${dead.metadata[DeadLetterKey.Error]})`);
  await nats.acknowledge(dead);
}
await nats.close();
