import { describe, expect, it } from "vitest";
import { assertSupportedNode } from "./node-version.js";

describe("assertSupportedNode", () => {
  it("names the Node version @platformatic/kafka needs, and the driver that runs on older ones", () => {
    expect(() => assertSupportedNode("20.20.2")).toThrow(
      "@prism/driver-kafka-platformatic needs Node >= 22.22.0 (its client @platformatic/kafka does), but this is Node 20.20.2",
    );
    expect(() => assertSupportedNode("22.21.9")).toThrow(/Node >= 22\.22\.0/);
    expect(() => assertSupportedNode("20.20.2")).toThrow(/use @prism\/driver-kafka \(kafkajs, Node >= 20\)/);
  });

  it("accepts 22.22 and later", () => {
    for (const version of ["22.22.0", "22.23.5", "24.0.0", "26.1.0"]) {
      expect(() => assertSupportedNode(version)).not.toThrow();
    }
  });
});
