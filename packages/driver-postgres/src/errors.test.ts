import { connect, createServer, type Server, type Socket } from "node:net";
import { isPrismError, PrismError, PrismErrorCode, silentLogger } from "@prism/consumer-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { mapPostgresError } from "./errors.js";
import { PostgresDriver } from "./postgres-driver.js";

const server = await backend("postgres");
const context = { operation: "test", target: "127.0.0.1:5432/test" };

/** The error `work` rejects with (failing the test if it resolves). */
async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

function expectMapped(error: unknown, code: PrismErrorCode, retryable: boolean): PrismError {
  expect(isPrismError(error)).toBe(true);
  const mapped = error as PrismError;
  expect({ code: mapped.code, retryable: mapped.retryable }).toEqual({ code, retryable });
  expect(mapped.cause).toBeDefined();
  return mapped;
}

/** A port nothing listens on: bound, noted, released. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const url = (change: (url: URL) => void) => {
  const parsed = new URL(server.url);
  change(parsed);
  return parsed.href;
};

describe("mapPostgresError: unreachable servers (no PostgreSQL needed)", () => {
  let silent: Server;
  let silentPort: number;
  const accepted: Socket[] = [];
  beforeAll(async () => {
    // Accepts connections and never answers, like a server hung or a port behind a black-holing firewall.
    silent = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("maps a refused connection (ECONNREFUSED) to BACKEND_UNAVAILABLE, retryable, without the password", async () => {
    const port = await freePort();
    const error = await failure(() =>
      PostgresDriver.connect({
        connectionString: `postgres://app:s3cret-pw@127.0.0.1:${port}/orders`,
        logger: silentLogger,
      }),
    );
    const mapped = expectMapped(error, PrismErrorCode.BackendUnavailable, true);
    expect((mapped.cause as { code?: string }).code).toBe("ECONNREFUSED");
    expect(mapped.message).toContain(`postgres connect on 127.0.0.1:${port}/orders failed`);
    expect(mapped.message).not.toContain("s3cret-pw");
  });

  it("maps a refused connection to a host with IPv4 and IPv6 addresses (an empty AggregateError) readably", async () => {
    const port = await freePort();
    // What node-postgres gets when a name such as localhost resolves to both families and both refuse.
    const socket = connect({
      host: "db.example",
      port,
      autoSelectFamily: true,
      lookup: (_host, _options, callback) =>
        callback(null, [
          { address: "127.0.0.1", family: 4 },
          { address: "::1", family: 6 },
        ]),
    });
    const error = await new Promise<unknown>((resolve) => socket.on("error", resolve));
    expect(error).toBeInstanceOf(AggregateError);
    const mapped = expectMapped(mapPostgresError(error, context), PrismErrorCode.BackendUnavailable, true);
    expect(mapped.message).toContain(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it("maps a connection that never answers (timeout) to BACKEND_UNAVAILABLE, retryable", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: silentPort, connectionTimeoutMillis: 200 });
    client.on("error", () => {});
    const error = await failure(() => client.connect());
    expectMapped(mapPostgresError(error, context), PrismErrorCode.BackendUnavailable, true);
  });

  it("passes PrismErrors through unchanged", () => {
    const original = new PrismError(PrismErrorCode.Lifecycle, "closed");
    expect(mapPostgresError(original, context)).toBe(original);
  });
});

describe.runIf(server.available)("mapPostgresError: errors from a real PostgreSQL", () => {
  it("maps a missing database (3D000) to BACKEND_REJECTED, not retryable", async () => {
    const error = await failure(() =>
      PostgresDriver.connect({
        connectionString: url((u) => {
          u.pathname = "/prism_no_such_database";
        }),
        logger: silentLogger,
      }),
    );
    const mapped = expectMapped(error, PrismErrorCode.BackendRejected, false);
    expect(mapped.message).toContain("SQLSTATE 3D000");
    expect(mapped.message).toContain("create the database");
  });

  it("maps an unknown role (an authentication failure, class 28) to BACKEND_REJECTED, without the password", async () => {
    const error = await failure(() =>
      PostgresDriver.connect({
        connectionString: url((u) => {
          u.username = "prism_no_such_role";
          u.password = "s3cret-pw";
        }),
        logger: silentLogger,
      }),
    );
    const mapped = expectMapped(error, PrismErrorCode.BackendRejected, false);
    expect(mapped.message).toMatch(/SQLSTATE 28(000|P01)/);
    expect(mapped.message).not.toContain("s3cret-pw");
  });

  it("maps permission denied (42501) to BACKEND_REJECTED: a role that may not create the schema", async () => {
    const role = `prism_test_limited_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      const error = await failure(() =>
        PostgresDriver.connect({
          connectionString: url((u) => {
            u.username = role;
          }),
          schema: `${role}_schema`,
          logger: silentLogger,
        }),
      );
      const mapped = expectMapped(error, PrismErrorCode.BackendRejected, false);
      expect(mapped.message).toContain("SQLSTATE 42501");
      expect(mapped.message).toContain("grant the role");
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it("maps bad SQL (42601) to BACKEND_REJECTED, not retryable", async () => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const error = await failure(() => client.query("SELEC 1"));
      const mapped = expectMapped(mapPostgresError(error, context), PrismErrorCode.BackendRejected, false);
      expect(mapped.message).toContain("SQLSTATE 42601");
    } finally {
      await client.end();
    }
  });

  it("maps a terminated session (57P01, as on shutdown) and the lost connection after it to BACKEND_UNAVAILABLE", async () => {
    const victim = new pg.Client({ connectionString: server.url });
    const admin = new pg.Client({ connectionString: server.url });
    victim.on("error", () => {});
    await Promise.all([victim.connect(), admin.connect()]);
    try {
      const pid = (await victim.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
      const sleeping = failure(() => victim.query("SELECT pg_sleep(30)"));
      // Wait until the sleep is running, then end the session the way a server shutdown does.
      for (;;) {
        const active = await admin.query(
          "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'",
          [pid],
        );
        if (active.rowCount) break;
      }
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      const terminated = expectMapped(
        mapPostgresError(await sleeping, context),
        PrismErrorCode.BackendUnavailable,
        true,
      );
      expect(terminated.message).toContain("SQLSTATE 57P01");

      const lost = await failure(() => victim.query("SELECT 1"));
      expectMapped(mapPostgresError(lost, context), PrismErrorCode.BackendUnavailable, true);
    } finally {
      await admin.end();
      await victim.end().catch(() => {});
    }
  });
});
