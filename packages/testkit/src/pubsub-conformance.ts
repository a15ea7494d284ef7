import type { PubSubInterface } from "@prism/consumer-core/driver";
import { isAcknowledgedSubscriptions, isClosable } from "@prism/consumer-core/driver";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PubSubFeatures } from "./features.js";
import { type ConformanceHarness, caseTimeout, deleteCreated, resolveHarness } from "./harness.js";
import { acknowledgedAsQueue, pubSubUnderTest, queueUnderTest } from "./internal/source.js";
import { sourceCases } from "./internal/source-cases.js";
import { settlementCases } from "./queue-conformance.js";

export interface PubSubConformanceOptions {
  /** Shown in the test names, e.g. "memstore" or "nats core". */
  readonly name: string;
  /** A new, connected driver for each case; closed after it when it has `close()`. */
  readonly create: () => PubSubInterface | Promise<PubSubInterface>;
  readonly features: PubSubFeatures;
  readonly harness?: ConformanceHarness;
}

/** Registers the pub/sub conformance cases (vitest `describe`/`it`) for a driver. */
export function describePubSubConformance(options: PubSubConformanceOptions): void {
  const harness = resolveHarness(options.harness);
  describe(`${options.name}: PubSubInterface conformance`, { timeout: caseTimeout(harness) }, () => {
    let driver: PubSubInterface | undefined;
    beforeEach(async () => {
      driver = await options.create();
    });
    afterEach(async () => {
      if (isClosable(driver)) await driver.close();
      driver = undefined;
    });
    afterAll(() => deleteCreated(harness));
    sourceCases(() => pubSubUnderTest(driver as PubSubInterface), options.features, harness);
  });
  if (!options.features.acknowledgedSubscriptions) return;
  describe(`${options.name}: AcknowledgedSubscriptions conformance`, {
    timeout: caseTimeout(harness),
  }, () => {
    let driver: PubSubInterface | undefined;
    beforeEach(async () => {
      driver = await options.create();
    });
    afterEach(async () => {
      if (isClosable(driver)) await driver.close();
      driver = undefined;
    });
    afterAll(() => deleteCreated(harness));
    it("implements subscribeAcknowledged, acknowledge and reject", () => {
      expect(isAcknowledgedSubscriptions(driver)).toBe(true);
    });
    const asQueue = () => {
      if (!isAcknowledgedSubscriptions(driver))
        throw new Error(`${options.name} has no subscribeAcknowledged`);
      return acknowledgedAsQueue(driver);
    };
    // Members of a group share an acknowledged subscription's messages, as a queue's receivers do. (A
    // checkpoint positions only a new group there: acknowledgements say where an existing one stands.)
    const features = { ...options.features, resumable: false };
    sourceCases(() => queueUnderTest(asQueue()), features, harness);
    settlementCases(asQueue, features, harness);
  });
}
