import { describeKafkaGroup } from "../../driver-kafka/test/suites/group.js";
import { platformatic } from "./platformatic-under-test.js";

describeKafkaGroup(platformatic);
