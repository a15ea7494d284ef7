import { Admin } from "@platformatic/kafka";
import { isPrismError, PrismErrorCode } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { mapPlatformaticError } from "./errors.js";
import { PlatformaticKafkaDriver } from "./platformatic-kafka-driver.js";

const kafka = await backend("kafka");

describe("mapPlatformaticError", () => {
  it("maps a refused connection (real client error) to a retryable BACKEND_UNAVAILABLE", async () => {
    const error = await PlatformaticKafkaDriver.connect({
      brokers: ["127.0.0.1:1"],
      connectionTimeout: 200,
    }).catch((e) => e);
    expect(isPrismError(error) && error.code).toBe(PrismErrorCode.BackendUnavailable);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^kafka: connecting to 127\.0\.0\.1:1 failed: /);
  });

  it.runIf(kafka.available)(
    "maps an invalid request (real broker error) to a non-retryable BACKEND_REJECTED",
    async () => {
      const admin = new Admin({ clientId: "prism-test", bootstrapBrokers: kafka.url.split(",") });
      const raw = await admin
        .createTopics({ topics: ["prism-invalid"], partitions: 1, replicas: 7 })
        .catch((e) => e);
      await admin.close();
      const mapped = mapPlatformaticError(raw, "creating a topic");
      expect(mapped.code).toBe(PrismErrorCode.BackendRejected);
      expect(mapped.retryable).toBe(false);
      expect(mapped.cause).toBe(raw);
    },
  );

  it("keeps authentication failures rejected, also inside the client's nested errors", async () => {
    const { AuthenticationError, MultipleErrors, NetworkError } = await import("@platformatic/kafka");
    const auth = new AuthenticationError("SASL authentication failed");
    const gaveUp = new MultipleErrors("connection failed 3 times.", [new NetworkError("closed"), auth]);
    expect(mapPlatformaticError(gaveUp, "connecting").code).toBe(PrismErrorCode.BackendRejected);
    expect(mapPlatformaticError(auth, "connecting").retryable).toBe(false);
    expect(mapPlatformaticError(new NetworkError("closed"), "connecting").retryable).toBe(true);
  });
});
