export { KAFKA_KEY } from "@prism/consumer-core/driver";
export type { PlatformaticKafkaDriverOptions, SaslMechanism } from "./config.js";
export { parsePlatformaticKafkaConfig } from "./config.js";
export { kafkaPlatformaticDriver } from "./driver.js";
export { mapPlatformaticError } from "./errors.js";
export { PlatformaticKafkaDriver } from "./platformatic-kafka-driver.js";
