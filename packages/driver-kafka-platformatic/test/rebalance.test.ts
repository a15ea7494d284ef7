import { describeKafkaRebalances } from "../../driver-kafka/test/suites/rebalance.js";
import { platformatic } from "./platformatic-under-test.js";

describeKafkaRebalances(platformatic);
