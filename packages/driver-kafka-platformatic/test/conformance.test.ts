import { describeKafkaConformance } from "../../driver-kafka/test/suites/conformance.js";
import { platformatic } from "./platformatic-under-test.js";

describeKafkaConformance(platformatic, "kafka-platformatic");
