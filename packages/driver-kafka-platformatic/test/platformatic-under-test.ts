import { fileURLToPath } from "node:url";
import type { KafkaUnderTest } from "../../driver-kafka/test/suites/kafka-under-test.js";
import { kafkaPlatformaticDriver, PlatformaticKafkaDriver } from "../src/index.js";

/**
 * This package's driver for the Kafka driver suites kept in @prism/driver-kafka's tests (test/suites):
 * both drivers run the same consumer, rebalance, group and foreign-record tests.
 */
export const platformatic: KafkaUnderTest = {
  label: "@platformatic/kafka",
  connect: (options) => PlatformaticKafkaDriver.connect(options),
  driverName: "kafka-platformatic",
  factory: kafkaPlatformaticDriver,
  module: fileURLToPath(new URL("../dist/index.js", import.meta.url)),
  exportName: "PlatformaticKafkaDriver",
};
