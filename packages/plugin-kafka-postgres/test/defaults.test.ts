import { fileURLToPath } from "node:url";
import { loadConfigFile, parseConfigYaml, silentLogger } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { applyKafkaPostgresDefaults, kafkaPostgres, kafkaPostgresDrivers } from "../src/index.js";

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const platformaticSupported = major > 22 || (major === 22 && minor >= 22);

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

describe("plugin-kafka-postgres: the Kafka client", () => {
  const yaml = (client: string) => `
name: payment-processor
slots:
  message_source:
    driver: kafka
    config: { brokers: ["127.0.0.1:1"], client: ${client} }
  state_store:
    driver: memstore
behavior:
  consumer_group: payments
  topic: payments
`;

  it("runs a Kafka slot on @platformatic/kafka with config.client: platformatic, kafkajs by default", () => {
    const platformatic = applyKafkaPostgresDefaults(parseConfigYaml(yaml("platformatic")));
    expect(platformatic.slots.messageSource).toEqual({
      driver: "kafka-platformatic",
      interface: "queue",
      config: { brokers: ["127.0.0.1:1"] },
    });
    const kafkajs = applyKafkaPostgresDefaults(parseConfigYaml(yaml("kafkajs")));
    expect(kafkajs.slots.messageSource.driver).toBe("kafka");
    expect(kafkajs.slots.messageSource.config).toEqual({ brokers: ["127.0.0.1:1"] });
  });

  it("names the key and the choices for any other client", () => {
    expect(() => applyKafkaPostgresDefaults(parseConfigYaml(yaml("rdkafka")))).toThrow(
      'slots.message_source.config.client: expected "kafkajs" or "platformatic", got "rdkafka"',
    );
  });

  it.runIf(!platformaticSupported)(
    "on a Node older than 22.22, fails at start naming the Node version @platformatic/kafka needs",
    async () => {
      const plugin = kafkaPostgres(parseConfigYaml(yaml("platformatic")), { logger: silentLogger });
      await expect(plugin.initialize()).rejects.toThrow(
        /slots\.message_source\.config\.client: "platformatic": @prism\/driver-kafka-platformatic did not load: .*needs Node >= 22\.22\.0/,
      );
    },
  );
});
