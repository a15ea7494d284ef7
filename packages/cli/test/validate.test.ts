import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli, tempDir, writeConfig } from "./cli-process.js";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

describe("prism-consumer validate", () => {
  it("lists every problem by path and exits 2", async () => {
    const file = writeConfig(
      tempDir(),
      "bad.yaml",
      `name: orders
slots:
  message_source: { driver: memstore, interface: both }
behavior:
  consumer_group: g
  max_retries: three
  shutdown_timeout: 5
`,
    );
    const { code, stderr } = await runCli(["validate", file]);
    expect(code).toBe(2);
    expect(stderr).toContain("slots.state_store: required");
    expect(stderr).toContain("slots.message_source.interface: expected one of");
    expect(stderr).toContain("behavior.topic: required");
    expect(stderr).toContain('behavior.max_retries: expected an integer from 0 to 100, got "three"');
    expect(stderr).toContain("behavior.shutdown_timeout: expected a duration with a unit");
  });

  it("names a driver whose package is not installed or exports no factory", async () => {
    const file = writeConfig(
      tempDir(),
      "drivers.yaml",
      `name: orders
slots:
  message_source: { driver: nosuch }
  state_store: { driver: other, package: "${path.join(fixtures, "my-db-driver.mjs")}" }
behavior: { consumer_group: g, topic: orders }
`,
    );
    const { code, stderr } = await runCli(["validate", file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /slots\.message_source\.driver: cannot load "@prism\/driver-nosuch": not installed/,
    );
    expect(stderr).toMatch(
      /slots\.state_store\.package: .* exports no driver factory: expected an export named otherDriver/,
    );
  });

  it("accepts a valid config with Prism's and a third-party driver (slots.*.package, export {name}Driver)", async () => {
    const file = writeConfig(
      tempDir(),
      "good.yaml",
      `name: orders
slots:
  message_source: { driver: memstore }
  state_store: { driver: my-db, package: ./my-db.mjs }
behavior: { consumer_group: g, topic: orders }
`,
    );
    // A package path is relative to the config file.
    const { copyFileSync } = await import("node:fs");
    copyFileSync(path.join(fixtures, "my-db-driver.mjs"), path.join(path.dirname(file), "my-db.mjs"));
    const { code, stdout } = await runCli(["validate", file]);
    expect(code).toBe(0);
    expect(stdout).toContain("valid");
  });

  it("has --help for every command", async () => {
    for (const command of [[], ["run"], ["validate"], ["dlq"]]) {
      const { code, stdout } = await runCli([...command, "--help"]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/prism-consumer/);
    }
    const usage = await runCli(["dlq", "purge", "x.yaml"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("give a filter");
  });
});
