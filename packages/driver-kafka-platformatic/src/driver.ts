import type { DriverFactory } from "@prism/consumer-core/driver";
import { parsePlatformaticKafkaConfig } from "./config.js";
import { PlatformaticKafkaDriver } from "./platformatic-kafka-driver.js";

/**
 * Factory for `driver: "kafka-platformatic"`: reads the slot's `config` (the seed's `brokers: [...]` plus
 * the keys in the README) and connects, failing fast when no broker answers.
 */
export const kafkaPlatformaticDriver: DriverFactory = (config, context) =>
  PlatformaticKafkaDriver.connect({
    ...parsePlatformaticKafkaConfig(config, context.path),
    ...(context.logger ? { logger: context.logger } : {}),
  });
