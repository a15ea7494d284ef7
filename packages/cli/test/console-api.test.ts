// The console's JSON API with plain fetch, against `prism-consumer run --http` over real NATS and Redis:
// what /api/status and /api/dlq say, that no credential is ever in them, and who may replay and purge —
// on loopback without a token, with a token, beyond loopback without one (read-only), cross-origin.
import { request } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../scripts/test-support/backends.mjs";
import { handler, httpPort, processedLines, runCli, startCli, tempDir, waitFor } from "./cli-process.js";
import { consoleConfig, consoleEnv, deleteStreams, publish, secret } from "./console-fixture.js";

const nats = await backend("nats");
const redis = await backend("redis");
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const token = "api-test-token-abcdef0123456789";

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON read by the assertions
  json: any;
}

async function call(port: number, pathname: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${pathname}`, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A request with a `Host` of our choosing (fetch sets its own): the DNS-rebinding case. Resolves the status. */
function withHost(
  port: number,
  method: string,
  pathname: string,
  host: string,
  body?: unknown,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = { host, "content-type": "application/json" };
    const req = request({ host: "127.0.0.1", port, method, path: pathname, headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.once("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

describe.runIf(nats.available && redis.available)("the console's JSON API", () => {
  const urls = { nats: nats.url, redis: redis.url };

  afterAll(() => deleteStreams(nats.url, run));

  it("serves the page and the status, dead letters by reason, replay and purge on loopback — never a secret", async () => {
    const topic = `console.api.${run}`;
    const file = consoleConfig("console-api", run, topic);
    const out = `${tempDir()}/processed.txt`;
    const cli = startCli(
      ["run", file, "--processor", handler, "--http", "127.0.0.1:0", "--lag-interval", "300ms"],
      consoleEnv(urls, out, { fail: "^poison" }),
    );
    try {
      const port = await httpPort(cli);
      const page = await call(port, "/");
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(page.text).toContain('<script src="console.js" defer></script>');
      expect((await call(port, "/console.js")).text).toContain("x-prism-console-token");
      expect((await call(port, "/console.css")).status).toBe(200);

      await publish(nats.url, topic, ["a", "b", "poison-1", "c", "poison-2"]);
      await waitFor("3 processed", () => processedLines(out).length === 3);
      const status = await waitFor("2 dead-lettered in /api/status", async () => {
        const answer = await call(port, "/api/status");
        const { counts, lag } = answer.json;
        return counts.deadLettered === 2 && lag.partitions?.["0"] === 0 ? answer : undefined;
      });
      expect(status.json).toMatchObject({
        consumer: { name: "console-api", group: `console-${run}`, topic },
        status: "running",
        counts: { processed: 3, failed: 4, retried: 2, deadLettered: 2, filtered: 0 },
        lag: { partitions: { "0": 0 }, total: 0 },
        deadLetters: { available: true, topic: `${topic}.dlq` },
        actions: { mode: "open" },
      });
      expect(status.json.lastError.message).toBe("refused poison-2");
      expect(
        status.json.slots.map((slot: { slot: string; driver: string }) => `${slot.slot}=${slot.driver}`),
      ).toEqual(["message_source=nats", "state_store=redis", "dead_letter_queue=nats"]);
      expect(status.json.slots[0].endpoint).toBe(`nats://***@${new URL(nats.url).host}`);
      expect(status.json.history.length).toBeGreaterThan(0);
      const stored = await waitFor(
        "the stored checkpoint",
        async () => (await call(port, "/api/status")).json.checkpoint.stored,
      );
      expect(stored.offsets["0"]).toBeDefined();

      const listed = await call(port, "/api/dlq");
      expect(listed.json.entries.map((entry: { error: string }) => entry.error)).toEqual([
        "refused poison-1",
        "refused poison-2",
      ]);
      expect(listed.json.entries[0]).toMatchObject({
        originalTopic: topic,
        attempts: 2,
        consumer: "console-api",
        payload: { encoding: "utf8", text: "poison-1", bytes: 8, truncated: false },
      });
      expect(listed.json.entries[0].firstFailureAt).toBeLessThanOrEqual(listed.json.entries[0].lastFailureAt);
      expect((await call(port, "/api/dlq?error=POISON-2")).json.entries).toHaveLength(1);
      expect((await call(port, "/api/dlq?limit=1")).json).toMatchObject({ more: true });
      for (const pathname of ["/", "/console.js", "/api/status", "/api/dlq", "/metrics", "/readyz"])
        expect((await call(port, pathname)).text).not.toContain(secret);

      // Refused whatever the token: not the page's own requests.
      const [first, second] = listed.json.entries as Array<{ id: string }>;
      const ids = { ids: [first?.id] };
      expect(
        (await call(port, "/api/dlq/replay", post(ids, { origin: "https://evil.example" }))).status,
      ).toBe(403);
      expect(
        (await call(port, "/api/dlq/replay", post(ids, { "sec-fetch-site": "cross-site" }))).status,
      ).toBe(403);
      const form = { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(ids) };
      expect((await call(port, "/api/dlq/replay", form)).status).toBe(415);
      expect(await withHost(port, "POST", "/api/dlq/replay", `rebound.example:${port}`, ids)).toBe(421);
      expect(await withHost(port, "GET", "/api/status", `rebound.example:${port}`)).toBe(421);
      expect(await withHost(port, "GET", "/", `rebound.example:${port}`)).toBe(421);
      expect(await withHost(port, "GET", "/api/status", `localhost:${port}`)).toBe(200);
      const empty = await call(port, "/api/dlq/purge", post({}));
      expect(empty.status).toBe(400);
      expect(empty.json.error).toContain('"all": true');
      expect((await call(port, "/api/dlq")).json.entries).toHaveLength(2);

      // On loopback without a token: allowed, from the page's origin.
      const replayed = await call(port, "/api/dlq/replay", post(ids, { origin: `http://127.0.0.1:${port}` }));
      expect(replayed.status).toBe(200);
      expect(replayed.json).toEqual({ replayed: 1, failed: [] });
      await waitFor("poison-1 replayed (and refused again)", async () => {
        const entries = (await call(port, "/api/dlq")).json.entries as Array<{
          id: string;
          payload: { text: string };
        }>;
        return (
          entries.length === 2 &&
          entries.some((entry) => entry.id !== first?.id && entry.payload.text === "poison-1")
        );
      });
      const purged = await call(port, "/api/dlq/purge", post({ all: true, error: "poison-2" }));
      expect(purged.json).toEqual({ removed: 1 });
      expect(second?.id).toBeDefined();
      expect(
        (await call(port, "/api/dlq")).json.entries.map((entry: { error: string }) => entry.error),
      ).toEqual(["refused poison-1"]);
      expect(cli.stdout()).toContain('"msg":"console: replayed dead letters"');
      expect(cli.stdout()).not.toContain(secret);
    } finally {
      cli.child.kill("SIGKILL");
    }
  }, 60_000);

  it("needs the token when one is set, and is read-only beyond loopback without one", async () => {
    const topic = `console.token.${run}`;
    const file = consoleConfig("console-token", run, topic);
    const out = `${tempDir()}/processed.txt`;
    const withToken = startCli(
      ["run", file, "--processor", handler, "--http", "0.0.0.0:0"],
      consoleEnv(urls, out, { fail: "^poison", token }),
    );
    try {
      const port = await httpPort(withToken);
      await publish(nats.url, topic, ["poison-a", "poison-b"]);
      await waitFor("2 dead letters", async () => (await call(port, "/api/dlq")).json.entries.length === 2);
      const status = await call(port, "/api/status");
      expect(status.json.actions.mode).toBe("token");
      expect(status.text).not.toContain(token);
      const everything = { all: true };
      const missing = await call(port, "/api/dlq/purge", post(everything));
      expect(missing.status).toBe(401);
      expect(missing.json.error).toBe("the console token is required (header x-prism-console-token)");
      const wrong = await call(
        port,
        "/api/dlq/purge",
        post(everything, { "x-prism-console-token": `${token}x` }),
      );
      expect(wrong.status).toBe(401);
      expect(wrong.json.error).toBe("the console token is wrong");
      expect((await call(port, "/api/dlq")).json.entries).toHaveLength(2);
      const right = await call(port, "/api/dlq/purge", post(everything, { "x-prism-console-token": token }));
      expect(right.json).toEqual({ removed: 2 });
      expect(withToken.stdout()).not.toContain(token);
    } finally {
      withToken.child.kill("SIGTERM");
      await withToken.exited;
    }

    const readOnly = startCli(
      ["run", file, "--processor", handler, "--http", "0.0.0.0:0"],
      consoleEnv(urls, out, { fail: "^poison" }),
    );
    try {
      const port = await httpPort(readOnly);
      await publish(nats.url, topic, ["poison-c"]);
      await waitFor("1 dead letter", async () => (await call(port, "/api/dlq")).json.entries.length === 1);
      const status = await call(port, "/api/status");
      expect(status.json.actions).toMatchObject({ mode: "read-only" });
      expect(status.json.actions.reason).toContain("--console-token or PRISM_CONSOLE_TOKEN");
      const refused = await call(
        port,
        "/api/dlq/replay",
        post({ all: true }, { "x-prism-console-token": token }),
      );
      expect(refused.status).toBe(403);
      expect(refused.json.error).toContain("read-only");
      expect((await call(port, "/api/dlq")).json.entries).toHaveLength(1);
      expect(readOnly.logs().some((log) => String(log.msg).includes("console: read-only"))).toBe(true);
    } finally {
      readOnly.child.kill("SIGKILL");
    }
  }, 60_000);

  it("refuses a short token, and a token without the console", async () => {
    const file = consoleConfig("console-usage", run, `console.usage.${run}`);
    const short = await runCli([
      "run",
      file,
      "--processor",
      handler,
      "--http",
      ":0",
      "--console-token",
      "short",
    ]);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("--console-token: the console token must be at least 16 characters");
    const noHttp = await runCli(["run", file, "--processor", handler, "--console-token", token]);
    expect(noHttp.code).toBe(2);
    expect(noHttp.stderr).toContain("--console-token is for the console");
  });
});
