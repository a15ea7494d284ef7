import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ConsumerState, DeadLetterKey, type Metadata, stateKey } from "@prism/consumer-core";
import { afterAll, describe, expect, it } from "vitest";

/** Names one scenario run uses, unique per run so runs never see each other's data. */
export interface RunNames {
  readonly topic: string;
  readonly group: string;
  readonly name: string;
}

/** What a plugin's end-to-end run needs to know about its backends. */
export interface PluginScenario {
  /** Fixture key in fixtures/run-plugin.mjs. */
  readonly plugin: string;
  readonly available: boolean;
  /**
   * Whether a restart resumes each partition right after the stored checkpoint (Kafka: the checkpoint is
   * the position), rather than where the broker's acknowledgements say (JetStream: the durable redelivers
   * what was never acknowledged, and the checkpoint is the record).
   */
  readonly resumesFromCheckpoint: boolean;
  /** The YAML config for the run (max_retries 2, commit_interval 1s). */
  yaml(names: RunNames): string;
  /** Like `yaml`, but a backend the source or state store points at does not answer. */
  unreachableYaml(names: RunNames): string;
  publish(names: RunNames, payloads: readonly string[]): Promise<void>;
  readState(names: RunNames): Promise<ConsumerState | undefined>;
  deadLetters(names: RunNames): Promise<Array<{ payload: string; metadata: Metadata }>>;
  cleanup(names: RunNames): Promise<void>;
}

interface Processed {
  readonly payload: string;
  readonly partition: string;
  readonly offset: number;
  readonly at: number;
}

const fixture = fileURLToPath(new URL("../fixtures/run-plugin.mjs", import.meta.url));
const total = 10_000;

class Run {
  readonly dir = mkdtempSync(join(tmpdir(), "prism-e2e-"));
  readonly log = join(this.dir, "processed.log");
  readonly config = join(this.dir, "consumer.yaml");
  private readonly children: ChildProcess[] = [];

  constructor(
    readonly scenario: PluginScenario,
    readonly names: RunNames,
  ) {
    writeFileSync(this.config, scenario.yaml(names));
  }

  processed(): Processed[] {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [payload, partition, offset, at] = line.split(" ");
        return {
          payload: payload as string,
          partition: partition as string,
          offset: Number(offset),
          at: Number(at),
        };
      });
  }

  /** Starts a consumer process and resolves once it has started consuming. */
  start(configPath = this.config, env: Record<string, string> = {}): Promise<ChildProcess> {
    const child = spawn(process.execPath, [fixture, this.scenario.plugin, configPath, this.log], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    this.children.push(child);
    return new Promise((resolve, reject) => {
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.once("exit", (code) => reject(new Error(`consumer exited with ${code}: ${stderr.trim()}`)));
      child.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("started")) resolve(child);
      });
    });
  }

  /** Runs a consumer that must fail at start; resolves with its exit code, stderr and run time. */
  failToStart(configPath: string): Promise<{ code: number | null; stderr: string; ms: number }> {
    const started = Date.now();
    const child = spawn(process.execPath, [fixture, this.scenario.plugin, configPath, this.log], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.children.push(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise((resolve) => {
      child.once("exit", (code) => resolve({ code, stderr, ms: Date.now() - started }));
    });
  }

  async until(
    what: string,
    condition: (processed: Processed[]) => boolean,
    timeoutMs = 120_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this.processed())) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what} (${this.processed().length} lines)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    // The start() listener treats any exit as a failure; this one is expected.
    child.removeAllListeners("exit");
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  killAll(): void {
    for (const child of this.children) if (child.exitCode === null) child.kill("SIGKILL");
  }
}

const distinct = (processed: Processed[]) => new Set(processed.map((p) => p.payload)).size;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

/** The plugin end-to-end cases of the issue, against the real servers. */
export function describePluginEndToEnd(scenario: PluginScenario): void {
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const names = (label: string): RunNames => ({
    topic: `prism-e2e-${label}-${suffix}`,
    group: `prism-e2e-${label}-${suffix}`,
    name: "order-processor",
  });
  const runs: Run[] = [];
  const run = (label: string) => {
    const created = new Run(scenario, names(label));
    runs.push(created);
    return created;
  };
  afterAll(async () => {
    for (const r of runs) {
      r.killAll();
      await scenario.cleanup(r.names).catch(() => {});
    }
  });

  describe.runIf(scenario.available)(`${scenario.plugin}: end to end`, () => {
    it(`processes ${total} messages at least once across a SIGKILL, resuming from the stored state`, async () => {
      const r = run("kill");
      await scenario.publish(r.names, range(0, total));
      // Slow enough per message that the kill lands mid-stream, after some checkpoints.
      const first = await r.start(r.config, { PRISM_E2E_DELAY_MS: "1" });
      await r.until("about half", (p) => p.length >= total / 2);
      await r.stop(first, "SIGKILL");
      const killedAt = r.processed();

      const state = await scenario.readState(r.names);
      expect(state, `state under ${stateKey(r.names.group, r.names.topic, r.names.name)}`).toBeDefined();
      const checkpoint = (state as ConsumerState).offsets;
      const sinceCheckpoint = killedAt.filter((p) => p.offset > Number(checkpoint[p.partition] ?? -1)).length;

      const restartedAt = Date.now();
      await r.start();
      await r.until("every message", (p) => distinct(p) === total);
      const afterRestart = r.processed().slice(killedAt.length);
      const firstAfterRestart = Math.min(...afterRestart.map((p) => p.at));
      // Each partition resumes right after its checkpoint (where the checkpoint is the position).
      for (const [partition, offset] of scenario.resumesFromCheckpoint ? Object.entries(checkpoint) : []) {
        const resumed = afterRestart.filter((p) => p.partition === partition).map((p) => p.offset);
        if (resumed.length > 0) expect(Math.min(...resumed)).toBe(Number(offset) + 1);
      }
      const all = r.processed();
      const duplicates = all.length - total;
      expect(distinct(all)).toBe(total);
      expect(duplicates).toBeLessThanOrEqual(sinceCheckpoint);
      console.info(
        `${scenario.plugin}: ${total} messages; SIGKILL after ${killedAt.length}; ${sinceCheckpoint} processed since ` +
          `the last checkpoint; ${duplicates} duplicates after restart; first message ${firstAfterRestart - restartedAt} ms ` +
          `after the new process was spawned`,
      );
    });

    it("after a clean stop and restart processes nothing twice", async () => {
      const r = run("clean");
      await scenario.publish(r.names, range(0, 200));
      const first = await r.start();
      await r.until("200 processed", (p) => distinct(p) === 200);
      await r.stop(first, "SIGTERM");
      await scenario.publish(r.names, range(200, 300));
      const second = await r.start();
      await r.until("300 processed", (p) => distinct(p) === 300);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await r.stop(second, "SIGTERM");
      expect(r.processed().length).toBe(300);
    });

    it("dead-letters a poison message after max_retries with the failure metadata, and goes on", async () => {
      const r = run("poison");
      await scenario.publish(r.names, ["m0", "poison-1", "m1", "m2"]);
      const child = await r.start();
      await r.until("the good ones", (p) => distinct(p) === 3);
      let dead: Awaited<ReturnType<PluginScenario["deadLetters"]>> = [];
      const deadline = Date.now() + 30_000;
      while (dead.length === 0 && Date.now() < deadline) {
        dead = await scenario.deadLetters(r.names);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await r.stop(child, "SIGTERM");
      expect(dead.map((d) => d.payload)).toEqual(["poison-1"]);
      expect(dead[0]?.metadata).toMatchObject({
        [DeadLetterKey.OriginalTopic]: r.names.topic,
        [DeadLetterKey.Error]: "refusing poison-1",
        [DeadLetterKey.Attempts]: "3",
        [DeadLetterKey.ConsumerName]: r.names.name,
        [DeadLetterKey.ConsumerGroup]: r.names.group,
      });
      // Partitioned sources order per partition only, so compare the set.
      expect(
        r
          .processed()
          .map((p) => p.payload)
          .sort(),
      ).toEqual(["m0", "m1", "m2"]);
    });

    it("fails fast, consuming and committing nothing, on invalid YAML, an unknown driver or an unreachable backend", async () => {
      const r = run("fail");
      await scenario.publish(r.names, ["m0"]);
      const invalid = join(r.dir, "invalid.yaml");
      writeFileSync(invalid, scenario.yaml(r.names).replace(/max_retries: \d+/, 'max_retries: "three"'));
      const unknown = join(r.dir, "unknown.yaml");
      writeFileSync(
        unknown,
        scenario.yaml(r.names).replace(/driver: "?(\w+)"?\n(\s+)config/, 'driver: "kafak"\n$2config'),
      );
      const unreachable = join(r.dir, "unreachable.yaml");
      writeFileSync(unreachable, scenario.unreachableYaml(r.names));

      const results = [
        await r.failToStart(invalid),
        await r.failToStart(unknown),
        await r.failToStart(unreachable),
      ];
      expect(results.map((x) => x.code)).toEqual([2, 2, 2]);
      expect(results[0]?.stderr).toContain(
        `behavior.max_retries: expected an integer from 0 to 100, got "three"`,
      );
      expect(results[0]?.stderr).toContain(invalid);
      expect(results[1]?.stderr).toMatch(/slots\.\w+\.driver: unknown driver "kafak"; known drivers: /);
      expect(results[2]?.stderr).toMatch(/could not start|failed|unavailable|refused/i);
      expect(r.processed()).toEqual([]);
      expect(await scenario.readState(r.names)).toBeUndefined();
    });
  });
}
