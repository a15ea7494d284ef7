import { kafkajs } from "./kafkajs-under-test.js";
import { describeKafkaRebalances } from "./suites/rebalance.js";

describeKafkaRebalances(kafkajs);
