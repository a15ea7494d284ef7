import type { DriverFactory } from "@prism/consumer-core/driver";
import {
  describeConsumerConformance,
  describeKeyValueConformance,
  describePubSubConformance,
  describeQueueConformance,
} from "@prism/consumer-testkit";
import { MemStore, memstoreDriver } from "../src/index.js";

// The whole kit: memstore declares every feature.
const everything = {
  membersShare: true,
  everyGroupGetsAll: true,
  readsHistory: true,
  keepsWhileIdle: true,
  ordered: true,
  resumable: true,
  maxUnsettled: 100,
} as const;

describePubSubConformance({
  name: "memstore",
  // Unsettled messages of acknowledged subscriptions come back after 300 ms.
  create: () => new MemStore({ visibilityTimeout: 300, acknowledgedSubscriptions: true }),
  features: { ...everything, acknowledgedSubscriptions: true },
  harness: { quietMs: 500 },
});

describeQueueConformance({
  name: "memstore",
  // Unsettled messages come back after 300 ms, so the crashed-consumer case runs quickly.
  create: () => new MemStore({ visibilityTimeout: 300 }),
  // A work queue: its receivers share it; there are no groups to fan out to, nor positions to resume at.
  features: { ...everything, everyGroupGetsAll: false, resumable: false },
  harness: { quietMs: 500 },
});

describeKeyValueConformance({
  name: "memstore",
  create: () => new MemStore(),
  features: { ttl: true, compareAndSet: true },
});

// The store is the backend: every consumer, the kit's publisher and its inspector must share one. The
// factory checks the YAML config as memstoreDriver does, then hands out that store.
for (const source of ["pubsub", "queue"] as const) {
  const store = new MemStore({ visibilityTimeout: 300, acknowledgedSubscriptions: true });
  const shared: DriverFactory = (config, context) => {
    memstoreDriver(config, context);
    return store;
  };
  describeConsumerConformance({
    name: "memstore",
    driver: shared,
    config: { visibility_timeout: "300ms", acknowledged_subscriptions: true },
    source,
    stateStore: true,
    maxUnsettled: everything.maxUnsettled,
    harness: { quietMs: 500 },
  });
}
