import type { PubSubInterface } from "@prism/consumer-core";
import { isClosable } from "@prism/consumer-core";
import { afterAll, afterEach, beforeEach, describe } from "vitest";
import type { PubSubFeatures } from "./features.js";
import { type ConformanceHarness, caseTimeout, deleteCreated, resolveHarness } from "./harness.js";
import { pubSubUnderTest } from "./internal/source.js";
import { sourceCases } from "./internal/source-cases.js";

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
}
