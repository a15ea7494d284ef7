import type { DriverFactory } from "@prism/consumer-core/driver";
import { parseKafkaConfig } from "./config.js";
import { KafkaDriver } from "./kafka-driver.js";

/**
 * Factory for `driver: "kafka"`: reads the slot's `config` (the seed's `brokers: [...]` plus the keys in
 * the README) and connects, failing fast when no broker answers.
 */
export const kafkaDriver: DriverFactory = (config, context) =>
  KafkaDriver.connect({
    ...parseKafkaConfig(config, context.path),
    ...(context.logger ? { logger: context.logger } : {}),
  });
