import { describeKafkaConsumer } from "../../driver-kafka/test/suites/consumer.js";
import { platformatic } from "./platformatic-under-test.js";

describeKafkaConsumer(platformatic);
