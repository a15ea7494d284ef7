import { createServer, type Socket, connect as tcpConnect } from "node:net";

/** A TCP proxy in front of a real NATS server, to lose a connection (and what it carried) on purpose. */
export interface TcpProxy {
  /** `nats://127.0.0.1:{port}` of the proxy. */
  readonly url: string;
  /**
   * Waits for the next server-to-client data carrying a JetStream delivery (a `$JS.ACK.` reply subject),
   * discards it and drops every connection: the server counts those messages as delivered, the client
   * never sees them — a delivery lost in flight. Resolves once that happened, with the bytes discarded.
   */
  loseNextDelivery(): Promise<number>;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`nats://host:port`) on a free local port. New connections are always let through. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const pairs = new Set<[Socket, Socket]>();
  let lose: ((bytes: number) => void) | undefined;
  const dropAll = () => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(port), hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    upstream.on("data", (chunk: Buffer) => {
      if (lose && chunk.includes("$JS.ACK.")) {
        const resolve = lose;
        lose = undefined;
        dropAll();
        resolve(chunk.length);
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no TCP address");
  return {
    url: `nats://127.0.0.1:${address.port}`,
    loseNextDelivery: () =>
      new Promise<number>((resolve) => {
        lose = resolve;
      }),
    close: async () => {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
