import { kafkajs } from "./kafkajs-under-test.js";
import { describeKafkaGroup } from "./suites/group.js";

describeKafkaGroup(kafkajs);
