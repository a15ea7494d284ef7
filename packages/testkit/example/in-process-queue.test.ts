// The worked example passes the whole queue kit and the consumer-level suite (`pnpm test` runs this).
import { describeConsumerConformance, describeQueueConformance } from "@prism/consumer-testkit";
import { InProcessBroker, InProcessQueue, inProcessQueueDriver } from "./in-process-queue.js";

const broker = new InProcessBroker();

describeQueueConformance({
  name: "in-process",
  // A short lease, so what a stopped receiver never settled comes back well within the kit's timeout.
  create: () => new InProcessQueue(broker, { visibilityTimeout: 500 }),
  // A plain work queue: receivers share it, there are no groups to fan out to, nor offsets to resume at.
  features: {
    membersShare: true,
    everyGroupGetsAll: false,
    readsHistory: true,
    keepsWhileIdle: true,
    ordered: true,
    resumable: false,
    maxUnsettled: 100,
  },
  harness: { quietMs: 1000 },
});

describeConsumerConformance({
  name: "in-process",
  driver: inProcessQueueDriver(broker),
  config: { visibility_timeout: "500ms" },
  source: "queue",
  maxUnsettled: 100,
  harness: { quietMs: 1000 },
});
