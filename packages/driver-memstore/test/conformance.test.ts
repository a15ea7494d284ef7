import {
  describeKeyValueConformance,
  describePubSubConformance,
  describeQueueConformance,
} from "@prism/consumer-testkit";
import { MemStore } from "../src/index.js";

// The whole kit: memstore declares every feature.
describePubSubConformance({
  name: "memstore",
  // Unsettled messages of acknowledged subscriptions come back after 300 ms.
  create: () => new MemStore({ visibilityTimeout: 300, acknowledgedSubscriptions: true }),
  features: {
    consumerGroups: true,
    persistent: true,
    ordered: true,
    resumable: true,
    acknowledgedSubscriptions: true,
  },
  harness: { quietMs: 500 },
});

describeQueueConformance({
  name: "memstore",
  // Unsettled messages come back after 300 ms, so the crashed-consumer case runs quickly.
  create: () => new MemStore({ visibilityTimeout: 300 }),
  features: { consumerGroups: false, persistent: true, ordered: true, resumable: false },
  harness: { quietMs: 500 },
});

describeKeyValueConformance({
  name: "memstore",
  create: () => new MemStore(),
  features: { ttl: true, compareAndSet: true },
});
