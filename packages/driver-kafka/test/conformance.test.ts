import { kafkajs } from "./kafkajs-under-test.js";
import { describeKafkaConformance } from "./suites/conformance.js";

describeKafkaConformance(kafkajs, "kafka");
