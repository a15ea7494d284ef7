import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type TcpProxy, tcpProxy } from "./tcp-proxy.js";

/** A server that answers every chunk with the same bytes. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.on("data", (chunk) => socket.write(chunk)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  return { server, port: address.port };
}

/** Connects and collects what arrives; `closed` resolves when the connection ends. */
async function client(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  let received = "";
  socket.on("data", (chunk) => {
    received += chunk.toString();
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => {});
  return { socket, closed, received: () => received };
}

const settle = (ms = 100) => new Promise((resolve) => setTimeout(resolve, ms));

describe("tcpProxy", () => {
  let proxy: TcpProxy | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await proxy?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("forwards both ways, holds bytes while paused, and cut() closes every connection", async () => {
    const echo = await echoServer();
    server = echo.server;
    proxy = await tcpProxy({ target: `redis://127.0.0.1:${echo.port}/0` });
    expect(proxy.url).toBe(`redis://127.0.0.1:${proxy.port}/0`);
    const a = await client(proxy.port);
    a.socket.write("one");
    await settle();
    expect(a.received()).toBe("one");
    proxy.pause();
    a.socket.write("two");
    await settle();
    expect(a.received()).toBe("one");
    proxy.resume();
    await settle();
    expect(a.received()).toBe("onetwo");
    proxy.cut();
    await a.closed;
    // New connections are let through after a cut.
    const b = await client(proxy.port);
    b.socket.write("three");
    await settle();
    expect(b.received()).toBe("three");
    b.socket.destroy();
  });

  it("cutOnServerData discards the matching chunk and cuts", async () => {
    const echo = await echoServer();
    server = echo.server;
    proxy = await tcpProxy({ target: `127.0.0.1:${echo.port}` });
    const c = await client(proxy.port);
    const lost = proxy.cutOnServerData((chunk) => Buffer.from(chunk).includes("secret"));
    c.socket.write("a secret");
    expect(await lost).toBe(8);
    await c.closed;
    expect(c.received()).toBe("");
  });

  it("names a target without a port", async () => {
    await expect(tcpProxy({ target: "localhost" })).rejects.toThrow(/needs a host and an explicit port/);
  });
});
