import { fileURLToPath } from "node:url";
import { loadConfigFile } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { applyKafkaPostgresDefaults, kafkaPostgresDrivers } from "../src/index.js";

const exampleYaml = fileURLToPath(
  new URL("../../../examples/payment-processor.kafka-postgres.yaml", import.meta.url),
);

describe("plugin-kafka-postgres", () => {
  it("resolves every driver name of its example YAML", async () => {
    const config = await loadConfigFile(exampleYaml, { env: {} });
    for (const slot of [config.slots.messageSource, config.slots.stateStore, config.slots.deadLetterQueue]) {
      expect(kafkaPostgresDrivers).toHaveProperty(slot?.driver as string);
    }
    expect(config.behavior).toMatchObject({ batchSize: 10, autoCommit: false, maxRetries: 5 });
  });

  it("consumes Kafka as a queue with per-partition order unless the config says otherwise", async () => {
    const config = await loadConfigFile(exampleYaml, { env: {} });
    const applied = applyKafkaPostgresDefaults(config);
    expect(applied.slots.messageSource.interface).toBe("queue");
    expect(applied.behavior.ordering).toBe("partition");
    const explicit = applyKafkaPostgresDefaults({
      ...config,
      slots: { ...config.slots, messageSource: { ...config.slots.messageSource, interface: "pubsub" } },
      behavior: { ...config.behavior, ordering: "none" },
    });
    expect(explicit.slots.messageSource.interface).toBe("pubsub");
    expect(explicit.behavior.ordering).toBe("none");
  });
});
