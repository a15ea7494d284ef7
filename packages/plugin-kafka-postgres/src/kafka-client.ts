import { ConfigError, type ConsumerConfig, type DriverFactory, type SlotBinding } from "@prism/consumer-core";

/** Which Kafka client the plugin's Kafka slots run on: kafkajs (the default) or @platformatic/kafka. */
export type KafkaClient = "kafkajs" | "platformatic";

const clients: readonly KafkaClient[] = ["kafkajs", "platformatic"];

/**
 * `driver: kafka-platformatic`: @prism/driver-kafka-platformatic, an optional peer dependency (it needs
 * Node >= 22.22), loaded when a slot asks for it.
 */
export const kafkaPlatformaticDriver: DriverFactory = async (config, context) => {
  let loaded: typeof import("@prism/driver-kafka-platformatic");
  try {
    loaded = await import("@prism/driver-kafka-platformatic");
  } catch (error) {
    const missing = (error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND";
    throw new ConfigError([
      {
        path: `${context.path.replace(/\.config$/, "")}.config.client`,
        message: missing
          ? '"platformatic" needs @prism/driver-kafka-platformatic installed (npm i @prism/driver-kafka-platformatic; Node >= 22.22)'
          : `"platformatic": @prism/driver-kafka-platformatic did not load: ${(error as Error).message}`,
      },
    ]);
  }
  return loaded.kafkaPlatformaticDriver(config, context);
};

/**
 * A Kafka slot's `config.client` (YAML and code alike): `"kafkajs"` keeps `driver: kafka`,
 * `"platformatic"` makes it `driver: kafka-platformatic`. The key is the plugin's, so it is taken out
 * of the config the driver reads.
 */
export function applyKafkaClient(slot: SlotBinding, path: string): SlotBinding {
  if (slot.driver !== "kafka" || slot.config?.client === undefined) return slot;
  const { client, ...config } = slot.config;
  if (!clients.includes(client as KafkaClient)) {
    throw new ConfigError([
      {
        path: `${path}.config.client`,
        message: `expected "kafkajs" or "platformatic", got ${JSON.stringify(client)}`,
      },
    ]);
  }
  return { ...slot, driver: client === "platformatic" ? "kafka-platformatic" : "kafka", config };
}

/** Applies `applyKafkaClient` to every slot of `config`. */
export function applyKafkaClients(config: ConsumerConfig): ConsumerConfig["slots"] {
  const { messageSource, stateStore, deadLetterQueue } = config.slots;
  return {
    messageSource: applyKafkaClient(messageSource, "slots.message_source"),
    stateStore: applyKafkaClient(stateStore, "slots.state_store"),
    ...(deadLetterQueue
      ? { deadLetterQueue: applyKafkaClient(deadLetterQueue, "slots.dead_letter_queue") }
      : {}),
  };
}
