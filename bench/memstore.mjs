// Raw memstore delivery vs the full consumer on memstore, in one run on one machine.
// Usage: pnpm bench [-- --messages 1000000 --rounds 5]
import os from "node:os";
import { parseArgs } from "node:util";
import { Consumer, silentLogger } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";

const { values } = parseArgs({
  options: { messages: { type: "string", default: "1000000" }, rounds: { type: "string", default: "5" } },
});
const messages = Number(values.messages);
const rounds = Number(values.rounds);
const topic = "bench";
const payload = new Uint8Array(16);

async function prepared(group) {
  const store = new MemStore({ capacity: messages + 1, retention: 0 });
  // The group exists before publishing, so the log keeps the messages for it and trims as it reads.
  await store.subscribe(topic, group);
  await store.unsubscribe(topic, group);
  for (let i = 0; i < messages; i++) await store.publish(topic, payload);
  return store;
}

async function raw() {
  const store = await prepared("raw");
  const abort = new AbortController();
  let count = 0;
  const started = performance.now();
  for await (const _message of await store.subscribe(topic, "raw", { signal: abort.signal })) {
    if (++count === messages) break;
  }
  return messages / ((performance.now() - started) / 1000);
}

async function consumer(processorKind = "sync") {
  const store = await prepared("bench");
  let count = 0;
  let finished;
  const done = new Promise((resolve) => {
    finished = resolve;
  });
  const instance = new Consumer({
    name: "bench",
    behavior: { consumerGroup: "bench", topic, concurrency: 1, autoCommit: true, commitInterval: "5s" },
    logger: silentLogger,
  })
    .bindSlots(store, store)
    .setProcessor(
      processorKind === "sync"
        ? () => {
            if (++count === messages) finished(performance.now());
          }
        : async () => {
            if (++count === messages) finished(performance.now());
          },
    );
  const started = performance.now();
  await instance.start();
  const ended = await done;
  await instance.stop();
  if (instance.health().counters.processed !== messages) throw new Error("consumer lost messages");
  return messages / ((ended - started) / 1000);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const format = (rate) => `${Math.round(rate).toLocaleString("en-US")} msgs/s`;

console.log(
  `memstore: ${messages.toLocaleString("en-US")} messages of ${payload.length} B, ${rounds} rounds each`,
);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}`);
const rawRates = [];
const consumerRates = [];
const asyncRates = [];
for (let round = 0; round < rounds; round++) {
  // Interleaved, so drift in machine load affects every variant alike.
  rawRates.push(await raw());
  consumerRates.push(await consumer("sync"));
  asyncRates.push(await consumer("async"));
}
const r = median(rawRates);
const c = median(consumerRates);
const a = median(asyncRates);
console.log(`raw memstore iteration        ${format(r).padStart(20)}  (median)`);
console.log(
  `consumer, no-op processor     ${format(c).padStart(20)}  (concurrency 1, auto-commit 5s)  ratio ${(c / r).toFixed(2)}`,
);
console.log(
  `consumer, async no-op         ${format(a).padStart(20)}  (concurrency 1, auto-commit 5s)  ratio ${(a / r).toFixed(2)}`,
);
