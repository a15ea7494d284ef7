// `pnpm demo`: the seed's order-processor on the embedded memstore driver.
import { fileURLToPath } from "node:url";
import { createConsumer, DeadLetterKey, loadConfigFile, PermanentError } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";

const configFile = fileURLToPath(new URL("order-processor.memstore.yaml", import.meta.url));
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// One store plays every slot and survives the restart, like a real backend would.
const store = new MemStore();
const drivers = { memstore: () => store };
const config = await loadConfigFile(configFile);
const { topic } = config.behavior;

let processedIds = [];
let attemptsSeen = 0;

/**
 * Orders 5, 10, 15… hit a gateway timeout once; order 7 is not JSON; order 13 has a negative amount, which
 * fails every attempt; order 17 hangs on its first attempt until processing_timeout aborts it.
 */
async function processOrder(message, { attempt, signal }) {
  attemptsSeen++;
  let order;
  try {
    order = JSON.parse(decoder.decode(message.payload));
  } catch (error) {
    throw new PermanentError("malformed order payload (not JSON)", { cause: error });
  }
  if (order.id % 5 === 0 && attempt === 1) throw new Error("payment gateway timeout");
  if (order.id === 17 && attempt === 1) {
    // A call that hangs: it gives up when the attempt's signal aborts at the deadline.
    await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  }
  if (order.amount < 0) throw new Error(`amount must be positive, got ${order.amount}`);
  await new Promise((resolve) => setTimeout(resolve, 2));
  processedIds.push(order.id);
}

async function publishOrders(from, to) {
  for (let id = from; id <= to; id++) {
    const payload =
      id === 7
        ? "{order 7 is broken"
        : JSON.stringify({ id, amount: id === 13 ? -40 : 10 * id, currency: "EUR" });
    await store.publish(topic, encoder.encode(payload), { "order-id": String(id), type: "order.created" });
    if (id % 8 === 0) {
      // Other events share the topic; the filter keeps them from the processor.
      const cancelled = JSON.stringify({ id: id - 1, reason: "customer request" });
      await store.publish(topic, encoder.encode(cancelled), {
        "order-id": String(id - 1),
        type: "order.cancelled",
      });
    }
  }
}

async function runUntilQuiet(label) {
  const consumer = await createConsumer(config, { drivers });
  consumer.setProcessor(processOrder);
  processedIds = [];
  attemptsSeen = 0;
  await consumer.start();
  while (store.topicStats(topic).lag > 0 || consumer.health().inFlight > 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await consumer.stop();
  const { counters } = consumer.health();
  console.log(`\n== ${label}`);
  console.log(
    `   received ${counters.received}, processed ${counters.processed}, filtered ${counters.filtered}, ` +
      `attempts ${attemptsSeen}, timed out ${counters.timedOut}, retries ${counters.retries}, ` +
      `dead-lettered ${counters.deadLettered}`,
  );
  console.log(`   orders processed: ${processedIds.length ? processedIds.join(", ") : "(none)"}`);
  return consumer;
}

async function printDeadLetters() {
  const dlq = config.behavior.deadLetterTopic ?? `${topic}.dlq`;
  const abort = new AbortController();
  const count = store.queueSize(dlq);
  console.log(`\n== Dead-letter queue "${dlq}": ${count} message(s)`);
  if (count === 0) return;
  let seen = 0;
  for await (const message of await store.receive(dlq, { signal: abort.signal })) {
    const m = message.metadata;
    console.log(
      `   order ${m["order-id"]}: "${m[DeadLetterKey.Error]}" after ${m[DeadLetterKey.Attempts]} attempt(s) ` +
        `(original id ${m[DeadLetterKey.OriginalId]} on ${m[DeadLetterKey.OriginalTopic]})`,
    );
    await store.acknowledge(message);
    if (++seen === count) abort.abort();
  }
}

async function printState(consumer) {
  const value = await store.get(consumer.stateKey);
  console.log(`\n== State at "${consumer.stateKey}"`);
  console.log(`   ${value ? decoder.decode(value) : "(none)"}`);
}

console.log(
  `Prism Consumer demo: "${config.name}" on memstore, config from ${configFile.split("/").slice(-2).join("/")}`,
);
await publishOrders(1, 20);
console.log(
  "\nPublished orders 1-20 to orders.created (5, 10, 15, 20 hit a gateway timeout once; 7 is not JSON; 13 has a\n" +
    "negative amount, so every attempt fails; 17 hangs once until processing_timeout aborts it), and two\n" +
    "order.cancelled events the filter keeps from the processor.",
);
const first = await runUntilQuiet("First run");
await printDeadLetters();
await printState(first);

await publishOrders(21, 25);
console.log("\nPublished orders 21-25 while the consumer was stopped. Restarting from the checkpoint…");
const second = await runUntilQuiet("Second run (resumed)");
const again = processedIds.filter((id) => id <= 20);
console.log(`   orders 1-20 processed again: ${again.length === 0 ? "none" : again.join(", ")}`);
await printState(second);
