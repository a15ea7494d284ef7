import { kafkajs } from "./kafkajs-under-test.js";
import { describeKafkaForeignRecords } from "./suites/foreign-records.js";

describeKafkaForeignRecords(kafkajs);
