import { ConfigError } from "@prism/consumer-core";
import { describe, expect, it } from "vitest";
import { parsePostgresConfig } from "./options.js";

const path = "slots.state_store.config";

function issues(config: Record<string, unknown>): string[] {
  try {
    parsePostgresConfig(config, path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("parsePostgresConfig", () => {
  it("reads the seed's keys and every option into driver options", () => {
    expect(
      parsePostgresConfig(
        {
          host: "db.internal",
          port: 6432,
          database: "prism",
          user: "app",
          password: "pw",
          ssl: true,
          schema: "consumer state",
          kv_table: "kv",
          queue_table: "dlq",
          pool_size: 4,
          visibility_timeout: "1m30s",
          poll_interval: "250ms",
          purge_interval: "5m",
        },
        path,
      ),
    ).toEqual({
      host: "db.internal",
      port: 6432,
      database: "prism",
      user: "app",
      password: "pw",
      ssl: true,
      schema: "consumer state",
      kvTable: "kv",
      queueTable: "dlq",
      poolSize: 4,
      visibilityTimeout: 90_000,
      pollInterval: 250,
      purgeInterval: 300_000,
    });
  });

  it("takes a connection string as connection_string or url", () => {
    const connectionString = "postgres://app:pw@db:5432/prism";
    expect(parsePostgresConfig({ connection_string: connectionString }, path)).toEqual({ connectionString });
    expect(parsePostgresConfig({ url: connectionString, pool_size: 2 }, path)).toEqual({
      connectionString,
      poolSize: 2,
    });
  });

  it("accepts numbers and booleans written as text (what ${VAR} substitution gives)", () => {
    expect(parsePostgresConfig({ port: "5433", pool_size: "3", ssl: "false" }, path)).toEqual({
      port: 5433,
      poolSize: 3,
      ssl: false,
    });
  });

  it("accepts an empty mapping (node-postgres defaults and PG* variables apply)", () => {
    expect(parsePostgresConfig({}, path)).toEqual({});
  });

  it("refuses a duration longer than a timer can wait", () => {
    expect(issues({ visibility_timeout: "600h" })).toEqual([
      `${path}.visibility_timeout: "600h" is longer than a timer can wait (at most "596h31m23.647s", about 24.8 days)`,
    ]);
  });

  it("lists every bad value by path", () => {
    expect(
      issues({
        host: "",
        port: 70000,
        database: 5,
        user: [],
        ssl: "yes",
        schema: "",
        kv_table: "x".repeat(64),
        queue_table: "bad\u0000name",
        pool_size: 0,
        visibility_timeout: 30,
        poll_interval: "0s",
        purge_interval: "soon",
        size: 1,
      }),
    ).toEqual([
      `${path}.size: unknown key; expected one of connection_string, url, host, port, database, user, password, ssl, pool_size, schema, kv_table, queue_table, processed_table, visibility_timeout, poll_interval, purge_interval`,
      `${path}.host: expected a non-empty string, got ""`,
      `${path}.port: expected an integer from 1 to 65535, got 70000`,
      `${path}.database: expected a non-empty string, got 5`,
      `${path}.user: expected a non-empty string, got a list`,
      `${path}.ssl: expected true, false or TLS options, got "yes"`,
      `${path}.pool_size: expected an integer >= 1, got 0`,
      `${path}.schema: expected a non-empty name, got ""`,
      `${path}.kv_table: expected at most 63 bytes, got "${"x".repeat(40)}…"`,
      `${path}.queue_table: a name cannot contain the NUL character, got "bad\\u0000name"`,
      `${path}.visibility_timeout: expected a duration with a unit like "5s" or "250ms", got 30`,
      `${path}.poll_interval: expected a duration above zero, got "0s"`,
      `${path}.purge_interval: expected a duration like "5s", "250ms" or "1m30s", got "soon"`,
    ]);
  });

  it("rejects a port or pool size that is not a whole number", () => {
    expect(issues({ port: 5432.5, pool_size: "ten" })).toEqual([
      `${path}.port: expected an integer from 1 to 65535, got 5432.5`,
      `${path}.pool_size: expected an integer >= 1, got "ten"`,
    ]);
  });

  it("never shows a password or a connection string, even when they are wrong", () => {
    const secret = "s3cret-pw";
    expect(issues({ password: 12345 })).toEqual([`${path}.password: expected a string, got a number`]);
    expect(issues({ connection_string: `mysql://app:${secret}@db/prism` })).toEqual([
      `${path}.connection_string: expected a postgres:// or postgresql:// URL (the value is not shown)`,
    ]);
    expect(issues({ url: `host=db password=${secret}` }).join("\n")).not.toContain(secret);
    expect(issues({ url: 42 })).toEqual([
      `${path}.url: expected a postgres:// or postgresql:// URL (the value is not shown)`,
    ]);
  });

  it("rejects connection_string together with url, and with separate server settings", () => {
    expect(
      issues({
        connection_string: "postgres://db/prism",
        url: "postgres://db/prism",
        host: "db",
        password: "pw",
      }),
    ).toEqual([
      `${path}.url: give connection_string or its alias url, not both`,
      `${path}.host: cannot be combined with connection_string; put it in the URL`,
      `${path}.password: cannot be combined with connection_string; put it in the URL`,
    ]);
    expect(issues({ url: "postgresql://db/prism", port: 5432 })).toEqual([
      `${path}.port: cannot be combined with url; put it in the URL`,
    ]);
  });

  it("reports under the slot's own path", () => {
    try {
      parsePostgresConfig({ port: "x" }, "slots.dead_letter_queue.config");
      throw new Error("expected a ConfigError");
    } catch (error) {
      expect((error as ConfigError).issues[0]?.path).toBe("slots.dead_letter_queue.config.port");
    }
  });
});
