import { fileURLToPath } from "node:url";
import { loadConfigFile, silentLogger } from "@prism/consumer-core";
import { NatsDriver } from "@prism/driver-nats";
import { describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { natsRedis, natsRedisDrivers } from "../src/index.js";

const seedYaml = fileURLToPath(new URL("../../../examples/order-processor.nats-redis.yaml", import.meta.url));
const nats = await backend("nats");
const redis = await backend("redis");

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
    "runs the seed's YAML as written: NATS source and DLQ, Redis state",
    async () => {
      const plugin = natsRedis(seedYaml, { logger: silentLogger });
      const marker = `order-${Date.now()}`;
      const seen: string[] = [];
      plugin.setProcessor((message) => {
        seen.push(new TextDecoder().decode(message.payload));
      });
      await plugin.start();
      const publisher = await NatsDriver.connect({ url: nats.url });
      try {
        await publisher.publish("orders.created", new TextEncoder().encode(marker));
        const deadline = Date.now() + 10_000;
        while (!seen.includes(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(seen).toContain(marker);
        const state = await plugin.commit();
        expect(plugin.instance.stateKey).toBe(
          "consumer:order-processor-group:orders.created:order-processor",
        );
        expect(state.last_message_id).not.toBeNull();
        expect(plugin.health()?.drivers.messageSource?.connected).toBe(true);
      } finally {
        await plugin.stop();
        await publisher.close();
      }
    },
  );
});
