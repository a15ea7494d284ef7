import { fileURLToPath } from "node:url";
import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { recordingLogger, text, waitFor } from "../test/helpers.js";
import { ConfigError, isPrismError, PrismErrorCode } from "./errors.js";
import { ConsumerPlugin } from "./plugin.js";

const demoYaml = fileURLToPath(
  new URL("../../../examples/demo/order-processor.memstore.yaml", import.meta.url),
);

describe("ConsumerPlugin", () => {
  it("applies the plugin's defaults to the loaded config", async () => {
    const store = new MemStore();
    const plugin = new ConsumerPlugin(demoYaml, {
      drivers: { memstore: () => store },
      applyDefaults: (config) => ({ ...config, behavior: { ...config.behavior, topic: "orders.renamed" } }),
    });
    plugin.setProcessor(() => {});
    await plugin.initialize();
    expect(plugin.instance.stateKey).toBe("consumer:order-processor-group:orders.renamed:order-processor");
  });

  it("follows the seed's lifecycle from a YAML path: initialize, setProcessor, start, stop", async () => {
    const store = new MemStore();
    const plugin = new ConsumerPlugin(
      demoYaml,
      { drivers: { memstore: () => store } },
      { logger: recordingLogger() },
    );
    const seen: string[] = [];
    plugin.setProcessor((message) => {
      seen.push(text(message.payload));
    });
    await plugin.initialize();
    await plugin.start();
    // The demo's YAML filters on the event type.
    await store.publish("orders.created", new TextEncoder().encode("order-1"), { type: "order.created" });
    await waitFor(() => seen.length === 1, "the order");
    await plugin.stop();
    expect(seen).toEqual(["order-1"]);
    expect(plugin.health()?.status).toBe("stopped");
    expect(plugin.instance.stateKey).toBe("consumer:order-processor-group:orders.created:order-processor");
  });

  it("takes extra drivers, and fails fast on an unknown one before anything starts", async () => {
    const config = {
      name: "c",
      slots: { messageSource: { driver: "memstore" }, stateStore: { driver: "kv-of-my-own" } },
      behavior: { consumerGroup: "g", topic: "t" },
    };
    const plugin = new ConsumerPlugin(config, { drivers: { memstore: () => new MemStore() } });
    const error = await plugin.start().catch((e: unknown) => e);
    expect(isPrismError(error) && error.code).toBe(PrismErrorCode.UnknownDriver);
    expect((error as Error).message).toContain('unknown driver "kv-of-my-own"; known drivers: memstore');
    const withExtra = new ConsumerPlugin(
      config,
      { drivers: { memstore: () => new MemStore() } },
      { drivers: { "kv-of-my-own": () => new MemStore() } },
    );
    withExtra.setProcessor(() => {});
    await withExtra.start();
    await withExtra.stop();
  });

  it("reports an invalid YAML file at initialize with its path", async () => {
    const plugin = new ConsumerPlugin("/nonexistent/consumer.yaml", { drivers: {} });
    await expect(plugin.initialize()).rejects.toBeInstanceOf(ConfigError);
    expect(() => plugin.instance).toThrow("call initialize() (or start()) first");
  });
});
