import {
  type ConsumerConfig,
  ConsumerPlugin,
  type DriverFactories,
  type PluginDefinition,
  type PluginOptions,
} from "@prism/consumer-core";
import { kafkaDriver } from "@prism/driver-kafka";
import { memstoreDriver } from "@prism/driver-memstore";
import { postgresDriver } from "@prism/driver-postgres";
import { applyKafkaClients, kafkaPlatformaticDriver } from "./kafka-client.js";

/** With `transactional: true`: the attempt's `pg` client inside `BEGIN`, typed (from driver-postgres). */
export { transactionOf } from "@prism/driver-postgres";
export type { KafkaClient } from "./kafka-client.js";

/**
 * The drivers this plugin resolves `slots.*.driver` names with: kafka (kafkajs), kafka-platformatic
 * (@platformatic/kafka, when installed), postgres and memstore.
 */
export const kafkaPostgresDrivers: DriverFactories = {
  kafka: kafkaDriver,
  "kafka-platformatic": kafkaPlatformaticDriver,
  postgres: postgresDriver,
  memstore: memstoreDriver,
};

/**
 * Kafka is consumed as a queue (the seed's Kafka slot: acknowledged offsets go to the Kafka group too)
 * and, with `concurrency > 1`, partitions run in parallel with each one's order kept — unless the config
 * says otherwise. A Kafka slot's `config.client: platformatic` runs it on @platformatic/kafka.
 */
export function applyKafkaPostgresDefaults(config: ConsumerConfig): ConsumerConfig {
  const slots = applyKafkaClients(config);
  const source = slots.messageSource;
  const isKafka = source.driver === "kafka" || source.driver === "kafka-platformatic";
  return {
    ...config,
    slots: {
      ...slots,
      messageSource: isKafka && !source.interface ? { ...source, interface: "queue" } : source,
    },
    behavior: { ordering: "partition", ...config.behavior },
  };
}

export const kafkaPostgresPlugin: PluginDefinition = {
  drivers: kafkaPostgresDrivers,
  applyDefaults: applyKafkaPostgresDefaults,
};

/**
 * A consumer with Kafka as its message source and PostgreSQL as its state store, from the seed's
 * `ConsumerConfig` or a path to its YAML. Lifecycle: `initialize()`, `setProcessor()`, `start()`,
 * `stop()`. A dead-letter slot may name any driver with a queue: postgres, kafka or memstore here, or
 * others passed in `options.drivers` (e.g. `{ redis: redisDriver }`).
 */
export function kafkaPostgres(config: ConsumerConfig | string, options: PluginOptions = {}): ConsumerPlugin {
  return new ConsumerPlugin(config, kafkaPostgresPlugin, options);
}
