import { fileURLToPath } from "node:url";
import { KafkaDriver, kafkaDriver } from "../src/index.js";
import type { KafkaUnderTest } from "./suites/kafka-under-test.js";

/** This package's driver for the shared Kafka driver suites. */
export const kafkajs: KafkaUnderTest = {
  label: "kafkajs",
  connect: (options) => KafkaDriver.connect(options),
  driverName: "kafka",
  factory: kafkaDriver,
  module: fileURLToPath(new URL("../dist/index.js", import.meta.url)),
  exportName: "KafkaDriver",
};
