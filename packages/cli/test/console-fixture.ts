// What the console's tests share: a consumer config over this checkout's NATS (source and DLQ, its URL
// carrying credentials the console must never show) and Redis (state), a publisher, and the clean-up.
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { NatsDriver } from "@prism/driver-nats";
import { tempDir, writeConfig } from "./cli-process.js";

/** The password in the NATS URL (a server without auth accepts any): must appear nowhere in the console. */
export const secret = "s3cret-pw-7f2c";

export function withCredentials(url: string): string {
  return url.includes("@") ? url : url.replace(/^nats:\/\//, `nats://console:${secret}@`);
}

/** A config for `topic`; `${NATS_URL}` and `${REDIS_URL}` come from the environment (see `consoleEnv`). */
export function consoleConfig(name: string, run: string, topic: string): string {
  return writeConfig(
    tempDir(),
    "consumer.yaml",
    `name: ${name}
slots:
  message_source: { driver: nats, config: { url: "\${NATS_URL}", ack_wait: 5s } }
  state_store: { driver: redis, config: { url: "\${REDIS_URL}", key_prefix: "console-${run}:" } }
  dead_letter_queue: { driver: nats, config: { url: "\${NATS_URL}", ack_wait: 5s } }
behavior:
  consumer_group: console-${run}
  topic: ${topic}
  max_retries: 1
  retry_backoff: { initial: 20ms, max: 50ms }
  commit_interval: 200ms
  shutdown_timeout: 10s
`,
  );
}

/** The CLI's environment: the test handler writes what it processed to `out` and refuses `fail`. */
export function consoleEnv(
  urls: { nats: string; redis: string },
  out: string,
  options: { fail?: string; delayMs?: number; token?: string } = {},
): Record<string, string> {
  return {
    NATS_URL: withCredentials(urls.nats),
    REDIS_URL: urls.redis,
    PRISM_TEST_OUT: out,
    PRISM_TEST_DELAY_MS: String(options.delayMs ?? 0),
    PRISM_TEST_FAIL: options.fail ?? "",
    PRISM_CONSOLE_TOKEN: options.token ?? "",
  };
}

export async function publish(natsUrl: string, topic: string, payloads: ReadonlyArray<string | Uint8Array>) {
  const driver = await NatsDriver.connect({ url: natsUrl });
  for (const payload of payloads)
    await driver.publish(topic, typeof payload === "string" ? new TextEncoder().encode(payload) : payload);
  await driver.close();
}

/** Deletes the JetStream streams this run created (their names hold `run`). */
export async function deleteStreams(natsUrl: string, run: string): Promise<void> {
  const connection = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(connection);
  for await (const name of jsm.streams.names()) if (name.includes(run)) await jsm.streams.delete(name);
  await connection.close();
}
