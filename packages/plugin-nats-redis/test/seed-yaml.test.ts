import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { loadConfigFile, silentLogger } from "@prism/consumer-core";
import { NatsDriver } from "@prism/driver-nats";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { natsRedis, natsRedisDrivers } from "../src/index.js";

const seedYaml = fileURLToPath(new URL("../../../examples/order-processor.nats-redis.yaml", import.meta.url));
const nats = await backend("nats");
const redis = await backend("redis");

/** Deletes what the run made: the streams of its topic and DLQ (with their durables) and its state key. */
async function deleteRun(topic: string, stateKey: string): Promise<void> {
  const connection = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(connection);
  for (const subject of [topic, `${topic}.dlq`]) {
    const stream = await jsm.streams.find(subject).catch(() => undefined);
    if (stream) await jsm.streams.delete(stream);
  }
  await connection.close();
  const client = new Redis(redis.url);
  await client.del(stateKey);
  client.disconnect();
}

describe("plugin-nats-redis", () => {
  it("resolves every driver name of the seed's YAML", async () => {
    const config = await loadConfigFile(seedYaml);
    const names = [config.slots.messageSource, config.slots.stateStore, config.slots.deadLetterQueue].map(
      (slot) => slot?.driver,
    );
    expect(names).toEqual(["nats", "redis", "nats"]);
    for (const name of names) expect(natsRedisDrivers).toHaveProperty(name as string);
  });

  it.runIf(nats.available && redis.available)(
    "runs the seed's YAML: NATS source and DLQ, Redis state (with this run's topic and group)",
    async () => {
      // The servers of this run, and names of its own: the seed's `orders.created` and its group may hold
      // someone's data on a server DATABASE_URL & co. point at.
      const env = { ...process.env, NATS_URL: nats.url, REDIS_URL: redis.url };
      const seed = await loadConfigFile(seedYaml, { env });
      const run = Date.now().toString(36);
      const behavior = {
        ...seed.behavior,
        topic: `orders.created.${run}`,
        consumerGroup: `order-processor-${run}`,
      };
      const plugin = natsRedis({ ...seed, behavior }, { logger: silentLogger });
      const marker = `order-${run}`;
      const seen: string[] = [];
      plugin.setProcessor((message) => {
        seen.push(new TextDecoder().decode(message.payload));
      });
      await plugin.start();
      const publisher = await NatsDriver.connect({ url: nats.url });
      try {
        await publisher.publish(behavior.topic, new TextEncoder().encode(marker));
        const deadline = Date.now() + 10_000;
        // Processed first, then settled (acknowledged, checkpointed): commit once the checkpoint has moved.
        const settled = () => seen.includes(marker) && plugin.health()?.checkpoint.lastMessageId != null;
        while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(seen).toContain(marker);
        const state = await plugin.commit();
        expect(plugin.instance.stateKey).toBe(
          `consumer:order-processor-${run}:orders.created.${run}:order-processor`,
        );
        expect(state.last_message_id).not.toBeNull();
        expect(plugin.health()?.drivers.messageSource?.connected).toBe(true);
      } finally {
        await plugin.stop();
        await publisher.close();
        await deleteRun(behavior.topic, plugin.instance.stateKey);
      }
    },
  );
});
