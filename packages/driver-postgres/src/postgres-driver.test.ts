import { inspect } from "node:util";
import { ConfigError, isPrismError, PrismErrorCode, silentLogger } from "@prism/consumer-core";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { testSchema } from "../test/postgres-test-schema.js";
import { quoteIdentifier } from "./internal/schema.js";
import { PostgresDriver } from "./postgres-driver.js";

const server = await backend("postgres");
const schema = testSchema(server.url, "driver");
const bytes = (text: string) => new TextEncoder().encode(text);

describe("PostgresDriver.connect: options", () => {
  it("throws one ConfigError naming every bad option before connecting", async () => {
    const rejected = await PostgresDriver.connect({
      poolSize: 0,
      port: 0,
      schema: "",
      queueTable: "q".repeat(64),
      visibilityTimeout: 0,
      pollInterval: Number.NaN,
      purgeInterval: "soon",
    }).catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(ConfigError);
    expect((rejected as ConfigError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "options.port: expected an integer from 1 to 65535, got 0",
      "options.poolSize: expected an integer >= 1, got 0",
      'options.schema: expected a non-empty name, got ""',
      `options.queueTable: expected at most 63 bytes, got "${"q".repeat(40)}…"`,
      "options.visibilityTimeout: expected a duration above zero, got 0",
      'options.pollInterval: expected a duration like "5s", "250ms" or "1m30s", got NaN',
      'options.purgeInterval: expected a duration like "5s", "250ms" or "1m30s", got "soon"',
    ]);
  });

  it.each([
    {
      label: "a pool together with connection settings",
      options: { pool: new pg.Pool(), host: "db" },
      message: "options.pool: pass either pool or connection settings, not both",
    },
    {
      label: "a connection string together with a port",
      options: { connectionString: "postgres://db/x", port: 5432 },
      message: "options.port: cannot be combined with connectionString; put it in the URL",
    },
  ])("rejects $label before connecting", async ({ options, message }) => {
    await expect(PostgresDriver.connect(options)).rejects.toThrow(message);
  });
});

describe.runIf(server.available)("PostgresDriver against PostgreSQL", () => {
  afterAll(() => schema.drop());

  it("creates the schema and tables when missing, quoting any name safely", async () => {
    const odd = `${schema.name} "odd"; name`;
    const driver = await PostgresDriver.connect({
      connectionString: server.url,
      schema: odd,
      kvTable: 'state "kv"',
      queueTable: "dead letters",
      logger: silentLogger,
    });
    try {
      expect(driver.names.kvTable).toBe(`"${schema.name} ""odd""; name"."state ""kv"""`);
      const tables = await driver.pool.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
        [odd],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(["dead letters", 'state "kv"']);
      await driver.set("k", bytes("v"));
      expect(await driver.get("k")).toEqual(bytes("v"));
    } finally {
      await driver.pool.query(`DROP SCHEMA ${quoteIdentifier(odd)} CASCADE`);
      await driver.close();
    }
  });

  it("reuses existing tables and their rows", async () => {
    const options = { connectionString: server.url, schema: schema.name, logger: silentLogger };
    const first = await PostgresDriver.connect(options);
    await first.set("kept", bytes("across drivers"));
    const id = await first.enqueue("kept", bytes("m"));
    await first.close();
    const second = await PostgresDriver.connect(options);
    try {
      expect(await second.get("kept")).toEqual(bytes("across drivers"));
      const abort = new AbortController();
      for await (const message of await second.receive("kept", { signal: abort.signal })) {
        expect(message.id).toBe(id);
        await second.acknowledge(message);
        abort.abort();
      }
    } finally {
      await second.close();
    }
  });

  it("starts drivers at the same time without racing on CREATE", async () => {
    const fresh = `${schema.name}_race`;
    const drivers = await Promise.all(
      [1, 2, 3, 4].map(() =>
        PostgresDriver.connect({ connectionString: server.url, schema: fresh, logger: silentLogger }),
      ),
    );
    await drivers[0]?.pool.query(`DROP SCHEMA "${fresh}" CASCADE`);
    await Promise.all(drivers.map((driver) => driver.close()));
  });

  it("uses a pool passed in and leaves it open on close", async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    try {
      const driver = await PostgresDriver.connect({ pool, schema: schema.name, logger: silentLogger });
      expect(driver.pool).toBe(pool);
      await driver.set("shared-pool", bytes("x"));
      await driver.close();
      expect(pool.listenerCount("error")).toBe(0);
      const { rows } = await pool.query("SELECT 1 AS one");
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it("ends its own pool on close; later calls fail with a LIFECYCLE error", async () => {
    const driver = await PostgresDriver.connect({
      connectionString: server.url,
      schema: schema.name,
      logger: silentLogger,
    });
    await driver.close();
    await driver.close();
    expect(driver.pool.ended).toBe(true);
    const error = await driver.get("k").catch((e: unknown) => e);
    expect(isPrismError(error) && error.code).toBe(PrismErrorCode.Lifecycle);
    await expect(driver.receive("q")).rejects.toThrow("postgres receive: the driver is closed");
  });

  it("keeps the password out of sight when the driver is logged or inspected", async () => {
    const secret = "s3cret-pw";
    const { hostname, port, pathname, username } = new URL(server.url);
    const driver = await PostgresDriver.connect({
      host: hostname,
      port: Number(port),
      database: pathname.slice(1),
      user: decodeURIComponent(username),
      password: secret, // the test server trusts local connections, so any password is accepted
      schema: schema.name,
      logger: silentLogger,
    });
    try {
      await driver.enqueue("inspect", bytes("x")); // a pooled connection exists now
      expect(inspect(driver, { depth: 8, showHidden: false })).not.toContain(secret);
    } finally {
      await driver.close();
    }
  });

  it("maps failures of individual operations, naming the operation and the server", async () => {
    const driver = await PostgresDriver.connect({
      connectionString: server.url,
      schema: schema.name,
      logger: silentLogger,
    });
    try {
      // Not a row id this driver gave out: PostgreSQL rejects it (22P02), and so does the driver.
      const message = {
        id: "not-a-number",
        topic: "q",
        payload: bytes(""),
        metadata: {},
        timestamp: 0,
        position: undefined,
        deliveryAttempt: 1,
      };
      const error = await driver.acknowledge(message).catch((e: unknown) => e);
      expect(isPrismError(error) && error.code).toBe(PrismErrorCode.BackendRejected);
      expect((error as Error).message).toMatch(
        /^postgres acknowledge on 127\.0\.0\.1:\d+\/\w+ was rejected: .*22P02/,
      );
    } finally {
      await driver.close();
    }
  });
});
