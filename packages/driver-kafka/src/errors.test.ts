import { isPrismError, PrismErrorCode } from "@prism/consumer-core";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { mapKafkaError } from "./errors.js";
import { KafkaDriver } from "./kafka-driver.js";

const kafka = await backend("kafka");

describe("mapKafkaError", () => {
  it("maps a refused connection (real kafkajs error) to a retryable BACKEND_UNAVAILABLE", async () => {
    const error = await KafkaDriver.connect({ brokers: ["127.0.0.1:1"], connectionTimeout: 200 }).catch(
      (e) => e,
    );
    expect(isPrismError(error) && error.code).toBe(PrismErrorCode.BackendUnavailable);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^kafka: connecting to 127\.0\.0\.1:1 failed: /);
  });

  it.runIf(kafka.available)(
    "maps an invalid request (real broker error) to a non-retryable BACKEND_REJECTED",
    async () => {
      const client = new Kafka({ brokers: kafka.url.split(","), logLevel: logLevel.NOTHING });
      const admin = client.admin();
      await admin.connect();
      const raw = await admin
        .createTopics({ topics: [{ topic: "prism-invalid", numPartitions: 1, replicationFactor: 7 }] })
        .catch((e) => e);
      await admin.disconnect();
      const mapped = mapKafkaError(raw, "creating a topic");
      expect(mapped.code).toBe(PrismErrorCode.BackendRejected);
      expect(mapped.retryable).toBe(false);
      expect(mapped.cause).toBe(raw);
    },
  );

  it("keeps authentication failures rejected even when kafkajs gave up retrying", () => {
    const auth = Object.assign(new Error("SASL PLAIN authentication failed"), {
      name: "KafkaJSSASLAuthenticationError",
    });
    const gaveUp = Object.assign(new Error("retries exceeded"), {
      name: "KafkaJSNumberOfRetriesExceeded",
      cause: auth,
    });
    expect(mapKafkaError(gaveUp, "connecting").code).toBe(PrismErrorCode.BackendRejected);
    expect(mapKafkaError(auth, "connecting").retryable).toBe(false);
  });

  it("maps a group coordinator not found after kafkajs's retries (a restarting broker) to BACKEND_UNAVAILABLE", () => {
    const notFound = Object.assign(new Error("Failed to find group coordinator"), {
      name: "KafkaJSGroupCoordinatorNotFound",
      retriable: false,
    });
    const gaveUp = Object.assign(new Error("Failed to find group coordinator"), {
      name: "KafkaJSNonRetriableError",
      retriable: false,
      cause: notFound,
    });
    const mapped = mapKafkaError(gaveUp, "consuming");
    expect(mapped.code).toBe(PrismErrorCode.BackendUnavailable);
    expect(mapped.retryable).toBe(true);
    const otherwise = Object.assign(new Error("Invalid request"), { name: "KafkaJSNonRetriableError" });
    expect(mapKafkaError(otherwise, "consuming").code).toBe(PrismErrorCode.BackendRejected);
  });
});
