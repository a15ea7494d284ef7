export { KAFKA_KEY } from "@prism/consumer-core/driver";
export type { KafkaDriverOptions, SaslMechanism } from "./config.js";
export { parseKafkaConfig } from "./config.js";
export { kafkaDriver } from "./driver.js";
export { mapKafkaError } from "./errors.js";
export { KafkaDriver } from "./kafka-driver.js";
