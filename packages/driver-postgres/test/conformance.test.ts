import { silentLogger } from "@prism/consumer-core";
import { describeKeyValueConformance, describeQueueConformance } from "@prism/consumer-testkit";
import { afterAll, describe } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { PostgresDriver } from "../src/index.js";
import { testSchema } from "./postgres-test-schema.js";

const pg = await backend("postgres");
const schema = testSchema(pg.url, "conformance");

describe.runIf(pg.available)("postgres", () => {
  afterAll(() => schema.drop());

  const connect = () =>
    PostgresDriver.connect({
      connectionString: pg.url,
      schema: schema.name,
      // Unsettled messages come back after 1 s, so the crashed-consumer case runs quickly.
      visibilityTimeout: 1000,
      // The restart case makes every pooled connection fail at once; that is expected here.
      logger: silentLogger,
    });

  describeQueueConformance({
    name: "postgres",
    create: connect,
    features: { consumerGroups: false, persistent: true, ordered: true, resumable: false },
    // quietMs above the visibility timeout: an unacknowledged or wrongly kept message would show.
    harness: { quietMs: 1500, restartServer: pg.restarter() },
  });

  describeKeyValueConformance({
    name: "postgres",
    create: connect,
    features: { ttl: true, compareAndSet: true },
  });
});
