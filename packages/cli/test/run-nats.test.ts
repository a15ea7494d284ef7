// `prism-consumer run` as a child process over real NATS JetStream (source and DLQ) and Redis (state):
// SIGTERM mid-stream loses nothing, /readyz follows the broker through a restart, and a real Prometheus
// scrapes /metrics (the processed counter and the lag gauge, queried through its HTTP API).
import { writeFileSync } from "node:fs";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { NatsDriver } from "@prism/driver-nats";
import { afterAll, describe, expect, it } from "vitest";
import { backend, scrape } from "../../../scripts/test-support/backends.mjs";
import {
  type CliRun,
  get,
  handler,
  httpPort,
  processedLines,
  startCli,
  tempDir,
  waitFor,
  writeConfig,
} from "./cli-process.js";

const nats = await backend("nats");
const redis = await backend("redis");
const prometheus = await backend("prometheus");
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const bytes = (text: string) => new TextEncoder().encode(text);

function config(topic: string): string {
  return writeConfig(
    tempDir(),
    "consumer.yaml",
    `name: cli-nats
slots:
  message_source: { driver: nats, config: { url: "\${NATS_URL}", ack_wait: 5s } }
  state_store: { driver: redis, config: { url: "\${REDIS_URL}", key_prefix: "cli-${run}:" } }
  dead_letter_queue: { driver: nats, config: { url: "\${NATS_URL}", ack_wait: 5s } }
behavior:
  consumer_group: cli-${run}
  topic: ${topic}
  commit_interval: 200ms
  shutdown_timeout: 10s
`,
  );
}

async function publish(topic: string, from: number, to: number): Promise<void> {
  const driver = await NatsDriver.connect({ url: nats.url });
  for (let i = from; i < to; i++) await driver.publish(topic, bytes(`m-${i}`));
  await driver.close();
}

const env = (out: string, delayMs = 0) => ({
  NATS_URL: nats.url,
  REDIS_URL: redis.url,
  PRISM_TEST_OUT: out,
  PRISM_TEST_DELAY_MS: String(delayMs),
});

async function stopped(cli: CliRun): Promise<number | null> {
  cli.child.kill("SIGTERM");
  return cli.exited;
}

describe.runIf(nats.available && redis.available)("prism-consumer run over NATS and Redis", () => {
  afterAll(async () => {
    const connection = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(connection);
    for await (const name of jsm.streams.names()) if (name.includes(run)) await jsm.streams.delete(name);
    await connection.close();
  });

  it("stops on SIGTERM mid-stream within shutdown_timeout and loses nothing", async () => {
    const topic = `cli.sigterm.${run}`;
    const file = config(topic);
    const out = `${tempDir()}/processed.txt`;
    const total = 300;
    await publish(topic, 0, total);
    const first = startCli(["run", file, "--processor", handler], env(out, 5));
    await waitFor("the first 50 messages", () => processedLines(out).length >= 50);
    const startedStop = Date.now();
    expect(await stopped(first)).toBe(0);
    expect(Date.now() - startedStop).toBeLessThan(10_000);
    expect(first.logs().some((log) => String(log.msg).startsWith("SIGTERM: stopping"))).toBe(true);
    const before = processedLines(out).length;
    expect(before).toBeLessThan(total); // it really was mid-stream

    const second = startCli(["run", file, "--processor", handler], env(out));
    await waitFor("every message", () => new Set(processedLines(out)).size === total, 60_000);
    expect(await stopped(second)).toBe(0);
    const seen = new Set(processedLines(out));
    for (let i = 0; i < total; i++) expect(seen.has(`m-${i}`)).toBe(true);
  }, 120_000);

  it.runIf(prometheus.available)(
    "is scraped by Prometheus (processed counter, lag gauge) and /readyz follows a broker restart",
    async () => {
      const topic = `cli.http.${run}`;
      const file = config(topic);
      const out = `${tempDir()}/processed.txt`;
      await publish(topic, 0, 30);
      const gate = `${tempDir()}/gate`;
      const cli = startCli(
        ["run", file, "--processor", handler, "--http", "127.0.0.1:0", "--lag-interval", "300ms"],
        { ...env(out), PRISM_TEST_GATE: gate },
      );
      const port = await httpPort(cli);
      const unscrape = await scrape(`cli-${run}`, [`127.0.0.1:${port}`], { run });
      try {
        const query = async (promql: string) => {
          const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`;
          const body = (await (await fetch(url)).json()) as {
            data: { result: Array<{ value: [number, string] }> };
          };
          return body.data.result.map((series) => Number(series.value[1]));
        };
        // Nothing is processed until the gate opens: the backlog shows as lag.
        await waitFor(
          "the backlog as lag in Prometheus",
          async () => ((await query(`prism_consumer_lag{run="${run}"}`))[0] ?? 0) > 0,
          60_000,
        );
        writeFileSync(gate, "");
        await waitFor(
          "30 processed in Prometheus",
          async () => (await query(`prism_consumer_processed_total{run="${run}"}`))[0] === 30,
          60_000,
        );
        await waitFor(
          "lag 0 in Prometheus",
          async () => (await query(`prism_consumer_lag{run="${run}"}`))[0] === 0,
          30_000,
        );
        const metrics = await get(port, "/metrics");
        expect(metrics.body).toContain("messaging_process_duration_bucket");
        expect(metrics.body).not.toMatch(/redis:\/\/|nats:\/\//); // no connection URLs served

        expect((await get(port, "/readyz")).status).toBe(200);
        const restarter = nats.restarter();
        if (!restarter) return;
        const statuses: number[] = [];
        let restarting = true;
        const watching = (async () => {
          while (restarting) {
            statuses.push((await get(port, "/readyz")).status);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        })();
        await restarter();
        await waitFor("ready again", async () => (await get(port, "/readyz")).status === 200, 30_000);
        restarting = false;
        await watching;
        expect(statuses).toContain(503);
        expect((await get(port, "/healthz")).status).toBe(200);
        await publish(topic, 30, 35);
        await waitFor(
          "the messages after the restart",
          () => new Set(processedLines(out)).size === 35,
          30_000,
        );
        expect(await stopped(cli)).toBe(0);
      } finally {
        unscrape?.();
        cli.child.kill("SIGKILL");
      }
    },
    120_000,
  );
});
