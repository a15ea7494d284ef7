import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { TcpProxy } from "@prism/consumer-testkit";

/** A prefix no other run uses, so a run's streams can be found and deleted afterwards. */
/**
 * Through `proxy`: waits for the next server-to-client data carrying a JetStream delivery (a `$JS.ACK.`
 * reply subject), discards it and drops every connection — the server counts those messages delivered,
 * the client never sees them. Resolves with the bytes discarded.
 */
export function loseNextDelivery(proxy: TcpProxy): Promise<number> {
  return proxy.cutOnServerData((chunk) => Buffer.from(chunk).includes("$JS.ACK."));
}

export function uniquePrefix(label: string): string {
  return `ptest-${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Deletes the JetStream streams whose names contain `marker` (the driver names them after subjects). */
export async function deleteStreamsContaining(url: string, marker: string): Promise<string[]> {
  const connection = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(connection);
    const deleted: string[] = [];
    const needle = marker.replace(/[^A-Za-z0-9_-]/g, "_");
    for await (const name of jsm.streams.names()) {
      if (name.includes(needle)) {
        await jsm.streams.delete(name);
        deleted.push(name);
      }
    }
    return deleted;
  } finally {
    await connection.close();
  }
}

/** Deletes these JetStream streams (those that exist). */
export async function deleteStreams(url: string, names: readonly string[]): Promise<void> {
  const connection = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(connection);
    const existing = new Set<string>();
    for await (const name of jsm.streams.names()) existing.add(name);
    for (const name of new Set(names)) if (existing.has(name)) await jsm.streams.delete(name);
  } finally {
    await connection.close();
  }
}

/** The version the server at `url` reports, e.g. "2.9.10". */
export async function serverVersion(url: string): Promise<string> {
  const connection = await connect({ servers: url });
  try {
    return connection.info?.version ?? "unknown";
  } finally {
    await connection.close();
  }
}

/** A nats-server this test started (not the shared one), on a free port. */
export interface ChildServer {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts `nats-server` as a child process with a configuration file (e.g. users and permissions; with
 * `jetstream`, JetStream storing in a temporary directory) and waits until it accepts connections.
 */
export async function startChildServer(
  config: string,
  options: { jetstream?: boolean } = {},
): Promise<ChildServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "prism-nats-"));
  const file = join(dir, "nats.conf");
  const jetstream = options.jetstream ? `jetstream { store_dir: ${JSON.stringify(join(dir, "js"))} }` : "";
  await writeFile(file, `listen: 127.0.0.1:${port}\n${config}\n${jetstream}\n`);
  const child = spawn("nats-server", ["-c", file], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`nats-server on port ${port} did not start`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `nats://127.0.0.1:${port}`, stop };
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
