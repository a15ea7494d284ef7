import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile, parseConfigYaml } from "./config-yaml.js";
import { Consumer } from "./consumer.js";
import { ConfigError, isPrismError, PrismErrorCode } from "./errors.js";
import { silentLogger } from "./logger.js";
import { ConsumerPlugin } from "./plugin.js";

/** The inputs that used to break loading (or the consumer) and must now fail at load, naming where. */

const slots = "slots:\n  message_source: { driver: counting }\n  state_store: { driver: counting }\n";
const config = (behavior: string) =>
  `name: c\n${slots}behavior:\n  consumer_group: g\n  topic: t\n${behavior}`;

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(isPrismError(error) && error.code).toBe(PrismErrorCode.ConfigInvalid);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error("expected a ConfigError");
}

/** Loads `yaml` from a file through a plugin whose one driver counts how often it was created. */
async function initializeFromFile(yaml: string): Promise<{ error: unknown; driversCreated: number }> {
  const file = join(mkdtempSync(join(tmpdir(), "prism-config-")), "consumer.yaml");
  writeFileSync(file, yaml);
  let driversCreated = 0;
  const counting = () => {
    driversCreated++;
    throw new Error("no driver may be created for an invalid configuration");
  };
  const plugin = new ConsumerPlugin(file, { drivers: { counting } }, { logger: silentLogger });
  const error = await plugin.initialize().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return { error, driversCreated };
}

/** Ten levels of nine aliases each: a few hundred bytes that would expand to 9^10 values. */
function aliasBomb(): string {
  const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let level = 1; level < 10; level++) {
    const name = String.fromCharCode(97 + level);
    const previous = String.fromCharCode(96 + level);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
  }
  return `${lines.join("\n")}\n${config("")}`;
}

describe("configuration inputs that must fail at load, naming the field or the position", () => {
  it("a duration longer than a timer can hold (about 24.8 days), in YAML and in TypeScript", () => {
    expect(
      issuesOf(() => parseConfigYaml(config('  shutdown_timeout: "600h"\n  commit_interval: "600h"\n'))),
    ).toEqual([
      'behavior.commit_interval: "600h" is longer than a timer can wait (at most "596h31m23.647s", about 24.8 days)',
      'behavior.shutdown_timeout: "600h" is longer than a timer can wait (at most "596h31m23.647s", about 24.8 days)',
    ]);
    expect(issuesOf(() => parseConfigYaml(config('  retry_backoff: { max: "1000h" }\n')))).toEqual([
      'behavior.retry_backoff.max: "1000h" is longer than a timer can wait (at most "596h31m23.647s", about 24.8 days)',
    ]);
    // The longest a timer can wait is still fine.
    expect(parseConfigYaml(config('  shutdown_timeout: "596h31m23.647s"\n')).behavior.shutdownTimeout).toBe(
      2_147_483_647,
    );
    const behavior = { consumerGroup: "g", topic: "t", commitInterval: 2 ** 31 };
    expect(issuesOf(() => new Consumer({ name: "c", behavior }))).toEqual([
      'behavior.commitInterval: 2147483648 is longer than a timer can wait (at most "596h31m23.647s", about 24.8 days)',
    ]);
  });

  it("max_retries beyond the documented bound of 100", () => {
    expect(issuesOf(() => parseConfigYaml(config("  max_retries: 1e9\n")))).toEqual([
      "behavior.max_retries: expected an integer from 0 to 100, got 1000000000",
    ]);
    expect(parseConfigYaml(config("  max_retries: 100\n")).behavior.maxRetries).toBe(100);
  });

  it("a YAML alias bomb: refused at the line where the expansion passes the limit, in milliseconds", () => {
    const started = performance.now();
    expect(issuesOf(() => parseConfigYaml(aliasBomb()))).toEqual([
      "line 5, column 7: the values from here on expand, through aliases, to 66430 keys and values (an alias bomb?); " +
        "a consumer configuration may hold at most 10000",
    ]);
    expect(performance.now() - started).toBeLessThan(500);
    // Aliases a real config uses stay fine.
    const shared =
      "x: &servers { url: nats://a:4222 }\nname: c\nslots:\n  message_source: { driver: n, config: *servers }\n  state_store: { driver: n, config: *servers }\nbehavior: { consumer_group: g, topic: t }\n";
    expect(issuesOf(() => parseConfigYaml(shared))).toEqual([
      "x: unknown key; expected one of name, description, slots, behavior",
    ]);
  });

  it("a config with more keys than any config has: refused in well under a second", () => {
    const keys = Array.from({ length: 6000 }, (_, i) => `      k${i}: v`).join("\n");
    const yaml = `name: c\nslots:\n  message_source: { driver: n }\n  state_store:\n    driver: n\n    config:\n${keys}\nbehavior: { consumer_group: g, topic: t }\n`;
    const started = performance.now();
    expect(issuesOf(() => parseConfigYaml(yaml))).toEqual([
      "line 7, column 7: 12001 keys and values from here on; a consumer configuration may hold at most 10000",
    ]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("a file of several MB with hundreds of thousands of keys: refused by its size, without parsing it", async () => {
    const keys = Array.from({ length: 300_000 }, (_, i) => `      k${i}: v`).join("\n");
    const file = join(mkdtempSync(join(tmpdir(), "prism-config-")), "huge.yaml");
    writeFileSync(file, `name: c\n${slots}    config:\n${keys}\nbehavior: { consumer_group: g, topic: t }\n`);
    const started = performance.now();
    const error = await loadConfigFile(file).catch((caught: unknown) => caught);
    expect(performance.now() - started).toBeLessThan(500);
    expect((error as ConfigError).issues).toEqual([
      {
        path: "(file)",
        message: "4872 KiB is more than a consumer configuration may be (128 KiB): is it the right file?",
      },
    ]);
  });

  it.each([
    ["a timer-breaking duration", config('  shutdown_timeout: "600h"\n')],
    ["an alias bomb", aliasBomb()],
    ["a duplicated key", config("  topic: again\n")],
    ["an absurd max_retries", config("  max_retries: 1000000000\n")],
    ["a syntax error", `${config("")}  on_exhausted: [stop\n`],
  ])("%s starts nothing: no driver is created", async (_label, yaml) => {
    const { error, driversCreated } = await initializeFromFile(yaml);
    expect(error).toBeInstanceOf(ConfigError);
    expect(driversCreated).toBe(0);
  });
});
