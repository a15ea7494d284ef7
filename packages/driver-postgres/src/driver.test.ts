import { ConfigError, silentLogger } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { testSchema } from "../test/postgres-test-schema.js";
import { postgresDriver } from "./driver.js";
import { PostgresDriver } from "./postgres-driver.js";

const server = await backend("postgres");
const schema = testSchema(server.url, "factory");
const context = {
  slot: "deadLetterQueue",
  path: "slots.dead_letter_queue.config",
  logger: silentLogger,
} as const;

describe("postgresDriver (the factory for driver: postgres)", () => {
  it("reports bad settings by the slot's path before connecting, without the password", () => {
    let caught: unknown;
    try {
      postgresDriver({ host: "db", port: "fifty", password: ["s3cret-pw"], queue_table: "" }, context);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues).toEqual([
      {
        path: "slots.dead_letter_queue.config.port",
        message: 'expected an integer from 1 to 65535, got "fifty"',
      },
      {
        path: "slots.dead_letter_queue.config.password",
        message: "expected a string, got a list",
      },
      { path: "slots.dead_letter_queue.config.queue_table", message: 'expected a non-empty name, got ""' },
    ]);
    expect((caught as Error).message).not.toContain("s3cret-pw");
  });

  it.runIf(server.available)("connects with the slot's settings", async () => {
    const settings = { url: server.url, schema: schema.name, pool_size: 1, visibility_timeout: "5s" };
    const driver = await postgresDriver(settings, context);
    expect(driver).toBeInstanceOf(PostgresDriver);
    try {
      await (driver as PostgresDriver).set("factory", new Uint8Array([1]));
      expect(await (driver as PostgresDriver).get("factory")).toEqual(new Uint8Array([1]));
      await (driver as PostgresDriver).delete("factory");
    } finally {
      await (driver as PostgresDriver).close();
      await schema.drop();
    }
  });
});
