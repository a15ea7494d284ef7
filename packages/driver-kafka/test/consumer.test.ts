import { kafkajs } from "./kafkajs-under-test.js";
import { describeKafkaConsumer } from "./suites/consumer.js";

describeKafkaConsumer(kafkajs);
