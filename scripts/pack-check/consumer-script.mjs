// The program each packed project runs, written out as ESM (import) or CommonJS (require).
// It consumes three messages end to end and prints what it processed and the stored state.

const body = {
  "nats-only": `
const { NatsDriver } = await load("@prism/driver-nats");
const nats = await NatsDriver.connect({ url: process.env.NATS_URL, kvBucket: "prism_pack_check" });
const consumer = new Consumer({ name: "pack-check", behavior: { consumerGroup: group, topic }, logger: silentLogger })
  .bindSlots(nats, nats, nats) // NATS alone: source, state store and dead-letter queue
  .setProcessor((message) => { seen.push(new TextDecoder().decode(message.payload)); });
await consumer.start();
for (const text of ["a", "b", "c"]) await nats.publish(topic, new TextEncoder().encode(text));
await until(() => seen.length === 3);
await consumer.stop();
const state = JSON.parse(new TextDecoder().decode(await nats.get(consumer.stateKey)));
await nats.close();
console.log(\`processed \${seen.join(",")}; state offset \${state.offset}\`);
`,
  plugin: `
const { natsRedis } = await load("@prism/plugin-nats-redis");
const { NatsDriver } = await load("@prism/driver-nats");
const plugin = natsRedis({
  name: "pack-check",
  slots: {
    messageSource: { driver: "nats", config: { url: process.env.NATS_URL } },
    stateStore: { driver: "redis", config: { url: process.env.REDIS_URL } },
  },
  behavior: { consumerGroup: group, topic },
}, { logger: silentLogger });
plugin.setProcessor((message) => { seen.push(new TextDecoder().decode(message.payload)); });
await plugin.start();
const nats = await NatsDriver.connect({ url: process.env.NATS_URL });
for (const text of ["a", "b", "c"]) await nats.publish(topic, new TextEncoder().encode(text));
await until(() => seen.length === 3);
const state = await plugin.commit();
await plugin.stop();
await nats.close();
console.log(\`processed \${seen.join(",")}; state offset \${state.offset}\`);
`,
};

export function consumerScript(label, format) {
  const prelude =
    format === "mjs"
      ? `const load = (name) => import(name);\nconst core = await import("@prism/consumer-core");\n`
      : `const load = async (name) => require(name);\nconst core = require("@prism/consumer-core");\n`;
  const wrap = (code) =>
    format === "mjs"
      ? code
      : `(async () => {${code}})().catch((e) => { console.error(e); process.exit(1); });`;
  const shared = `
const { Consumer, silentLogger } = core;
const run = Date.now().toString(36) + "${format}";
const topic = "pack.check." + run;
const group = "pack-check-" + run;
const seen = [];
const until = async (condition) => {
  const deadline = Date.now() + 15000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out; processed " + seen.length);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
`;
  return prelude + wrap(shared + body[label]);
}
