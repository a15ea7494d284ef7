import { describeKafkaForeignRecords } from "../../driver-kafka/test/suites/foreign-records.js";
import { platformatic } from "./platformatic-under-test.js";

describeKafkaForeignRecords(platformatic);
