import { createServer, type Socket, connect as tcpConnect } from "node:net";

export interface TcpProxyOptions {
  /** Where to forward: `host:port`, or a URL with a host and port (`redis://127.0.0.1:6379`). */
  readonly target: string;
  /** Local port to listen on; default a free one. */
  readonly port?: number;
}

/**
 * A TCP proxy in front of a real server, to lose connections on purpose when the server cannot be
 * restarted (a shared or managed one). Point the driver at `host:port` (or `url`), then cut.
 */
export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** The target URL with its host and port replaced by the proxy's (or `host:port` for a bare target). */
  readonly url: string;
  /** Closes every open connection at once; new connections are let through as before. */
  cut(): void;
  /**
   * Stops forwarding in both directions (bytes are held, connections stay open), as a stalled network
   * does; `resume()` delivers what was held.
   */
  pause(): void;
  resume(): void;
  /**
   * Waits for the next server-to-client chunk that `matches`, discards it and cuts every connection: a
   * delivery lost in flight (the server counts it delivered, the client never sees it). Resolves with
   * the bytes discarded.
   */
  cutOnServerData(matches: (chunk: Uint8Array) => boolean): Promise<number>;
  /** Cuts the connections and stops listening. */
  close(): Promise<void>;
}

/** Starts a TCP proxy to `target`. */
export async function tcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const target = parseTarget(options.target);
  const pairs = new Set<[Socket, Socket]>();
  let lose: { matches: (chunk: Uint8Array) => boolean; resolve: (bytes: number) => void } | undefined;
  const cut = () => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  const setPaused = (paused: boolean) => {
    for (const sockets of pairs) for (const socket of sockets) paused ? socket.pause() : socket.resume();
  };
  let paused = false;
  const server = createServer((client) => {
    const upstream = tcpConnect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    if (paused) for (const socket of pair) socket.pause();
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    upstream.on("data", (chunk: Buffer) => {
      if (lose?.matches(chunk)) {
        const { resolve } = lose;
        lose = undefined;
        cut();
        resolve(chunk.length);
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string")
    throw new Error("tcpProxy: the proxy has no TCP address");
  const host = "127.0.0.1";
  return {
    host,
    port: address.port,
    url: target.url ? withHost(target.url, host, address.port) : `${host}:${address.port}`,
    cut,
    pause: () => {
      paused = true;
      setPaused(true);
    },
    resume: () => {
      paused = false;
      setPaused(false);
    },
    cutOnServerData: (matches) =>
      new Promise<number>((resolve) => {
        lose = { matches, resolve };
      }),
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseTarget(target: string): { host: string; port: number; url: URL | undefined } {
  const url = target.includes("://") ? new URL(target) : undefined;
  const [host, port] = url ? [url.hostname, url.port] : target.split(":");
  if (!host || !port || !Number.isInteger(Number(port))) {
    throw new Error(`tcpProxy: target "${target}" needs a host and an explicit port (host:port or a URL)`);
  }
  return { host: host.replace(/^\[|\]$/g, ""), port: Number(port), url };
}

function withHost(url: URL, host: string, port: number): string {
  const copy = new URL(url.href);
  copy.hostname = host;
  copy.port = String(port);
  return copy.href;
}
