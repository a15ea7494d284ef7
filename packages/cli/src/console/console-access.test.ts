import { describe, expect, it } from "vitest";
import { consoleActions, isLoopback, refuseMutation, refuseRead } from "./console-access.js";

const token = "a-token-of-sixteen-plus";
const json = { host: "127.0.0.1:9464", "content-type": "application/json" };

describe("isLoopback", () => {
  it("knows loopback addresses and names from the rest", () => {
    for (const host of [
      "127.0.0.1",
      "127.1.2.3",
      "::1",
      "[::1]",
      "localhost",
      "LOCALHOST",
      "app.localhost",
      "::ffff:127.0.0.1",
    ])
      expect(isLoopback(host), host).toBe(true);
    for (const host of [
      "0.0.0.0",
      "::",
      "10.0.0.5",
      "192.168.1.2",
      "example.com",
      "localhost.example.com",
      "128.0.0.1",
    ])
      expect(isLoopback(host), host).toBe(false);
  });
});

describe("consoleActions", () => {
  it("is open on loopback without a token, needs the token when set, read-only beyond loopback without one", () => {
    expect(consoleActions({ loopback: true, token: undefined }).mode).toBe("open");
    expect(consoleActions({ loopback: true, token }).mode).toBe("token");
    expect(consoleActions({ loopback: false, token }).mode).toBe("token");
    const readOnly = consoleActions({ loopback: false, token: undefined });
    expect(readOnly.mode).toBe("read-only");
    expect(readOnly.reason).toContain("--console-token or PRISM_CONSOLE_TOKEN");
  });
});

describe("refuseRead", () => {
  it("on loopback answers only a loopback Host (DNS rebinding); beyond loopback any", () => {
    const loopback = { loopback: true, token: undefined };
    expect(refuseRead(loopback, { host: "127.0.0.1:9464" })).toBeUndefined();
    expect(refuseRead(loopback, { host: "localhost:9464" })).toBeUndefined();
    expect(refuseRead(loopback, { host: "[::1]:9464" })).toBeUndefined();
    expect(refuseRead(loopback, { host: "rebound.example:9464" })?.status).toBe(421);
    expect(refuseRead(loopback, {})?.status).toBe(421);
    expect(
      refuseRead({ loopback: false, token: undefined }, { host: "consumer.internal:9464" }),
    ).toBeUndefined();
  });
});

describe("refuseMutation", () => {
  it("lets the page's own JSON request through on loopback without a token", () => {
    const policy = { loopback: true, token: undefined };
    expect(refuseMutation(policy, json)).toBeUndefined();
    expect(
      refuseMutation(policy, { ...json, origin: "http://127.0.0.1:9464", "sec-fetch-site": "same-origin" }),
    ).toBeUndefined();
    expect(
      refuseMutation(policy, { ...json, "content-type": "application/json; charset=utf-8" }),
    ).toBeUndefined();
  });

  it("refuses other sites, other origins and bodies that are not JSON, token or not", () => {
    for (const policy of [
      { loopback: true, token: undefined },
      { loopback: false, token },
    ]) {
      const headers = { ...json, "x-prism-console-token": token };
      expect(refuseMutation(policy, { ...headers, "sec-fetch-site": "cross-site" })?.status).toBe(403);
      expect(refuseMutation(policy, { ...headers, "sec-fetch-site": "same-site" })?.status).toBe(403);
      expect(refuseMutation(policy, { ...headers, origin: "https://evil.example" })?.status).toBe(403);
      expect(refuseMutation(policy, { ...headers, origin: "http://127.0.0.1:9999" })?.status).toBe(403);
      expect(refuseMutation(policy, { ...headers, origin: "null" })?.status).toBe(403);
      expect(refuseMutation(policy, { ...headers, "content-type": "text/plain" })?.status).toBe(415);
      expect(refuseMutation(policy, { ...headers, "content-type": undefined })?.status).toBe(415);
    }
  });

  it("needs the right token when one is set, in its header", () => {
    for (const loopback of [true, false]) {
      const policy = { loopback, token };
      expect(refuseMutation(policy, json)).toEqual({
        status: 401,
        error: "the console token is required (header x-prism-console-token)",
      });
      expect(refuseMutation(policy, { ...json, "x-prism-console-token": "" })?.status).toBe(401);
      expect(refuseMutation(policy, { ...json, "x-prism-console-token": `${token}!` })).toEqual({
        status: 401,
        error: "the console token is wrong",
      });
      expect(refuseMutation(policy, { ...json, "x-prism-console-token": token })).toBeUndefined();
    }
  });

  it("is read-only beyond loopback without a token, whatever the request says", () => {
    const refusal = refuseMutation(
      { loopback: false, token: undefined },
      { ...json, "x-prism-console-token": token },
    );
    expect(refusal?.status).toBe(403);
    expect(refusal?.error).toContain("read-only");
  });
});
