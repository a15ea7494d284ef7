import { type ConsumerConfig, loadConfigFile, parseDuration } from "@prism/consumer-core";
import { type BrowsableQueue, isBrowsableQueue } from "@prism/consumer-core/driver";
import {
  type DeadLetterTarget,
  deadLetterTopic,
  purgeDeadLetters,
  replayDeadLetters,
  replaySender,
} from "../dead-letter-operations.js";
import { type DeadLetterFilter, deadLetters, showPayload, summarize } from "../dead-letters.js";
import { loadDriverFactories } from "../driver-packages.js";
import { help } from "../help.js";
import { parse, UsageError } from "../internal/args.js";
import { configIssues } from "../internal/config-issues.js";
import { SlotDrivers } from "../internal/slot-drivers.js";
import { jsonLogger } from "../internal/terminal.js";
import type { Io } from "./io.js";

const actions = ["list", "show", "replay", "purge"] as const;
type Action = (typeof actions)[number];

/** `prism-consumer dlq list|show|replay|purge <consumer.yaml>`. */
export async function dlq(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    id: { type: "string", multiple: true },
    error: { type: "string" },
    "older-than": { type: "string" },
    "newer-than": { type: "string" },
    all: { type: "boolean" },
    limit: { type: "string" },
    json: { type: "boolean" },
    "dry-run": { type: "boolean" },
  });
  if (values.help) return io.print(help.dlq, 0);
  const [action, file, ...rest] = positionals;
  if (!actions.includes(action as Action))
    throw new UsageError(`expected dlq ${actions.join("|")} <consumer.yaml>`);
  if (!file) throw new UsageError(`expected a config file: dlq ${action} <consumer.yaml>`);
  const showId = action === "show" ? rest.shift() : undefined;
  if (action === "show" && !showId)
    throw new UsageError("expected the dead letter's id: dlq show <consumer.yaml> <id>");
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  const filter: DeadLetterFilter = {
    ...(values.id && { ids: new Set(values.id) }),
    ...(showId && { ids: new Set([showId]) }),
    ...(values.error && { errorText: values.error }),
    ...(values["older-than"] && { olderThanMs: durationOption("--older-than", values["older-than"]) }),
    ...(values["newer-than"] && { newerThanMs: durationOption("--newer-than", values["newer-than"]) }),
  };
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit ${values.limit}: expected a whole number above 0`);
  const filtered = Object.keys(filter).length > 0;
  if (action === "purge" && !filtered && !values.all) {
    throw new UsageError(
      "purge removes dead letters for good: give a filter (--id, --error, --older-than, --newer-than) or --all",
    );
  }

  const config = await loadConfigFile(file);
  if (!config.slots.deadLetterQueue) {
    return io.print(
      `${file}: slots.dead_letter_queue is not set: this consumer has no dead-letter queue`,
      2,
      "stderr",
    );
  }
  const { factories, issues } = await loadDriverFactories(config, file);
  if (issues.length > 0) return io.print(configIssues(file, issues), 2, "stderr");
  const drivers = new SlotDrivers(config, factories, jsonLogger(io.stderr));
  try {
    const queue = await drivers.driver("deadLetterQueue");
    if (!isBrowsableQueue(queue)) {
      return io.print(
        `slots.dead_letter_queue: driver "${config.slots.deadLetterQueue.driver}" cannot browse its queue ` +
          "(it does not implement BrowsableQueue); the dlq commands work with nats, redis, postgres and memstore",
        1,
        "stderr",
      );
    }
    const topic = deadLetterTopic(config);
    const target: DeadLetterTarget = { queue, topic, defaultTopic: config.behavior.topic };
    const json = values.json === true || !io.stdout.isTTY;
    const dryRun = values["dry-run"] === true;
    if (action === "list") return await list(io, queue, topic, filter, limit, json);
    if (action === "show") return await show(io, queue, topic, showId as string);
    if (action === "purge") return await purge(io, target, filter, dryRun);
    return await replay(io, config, drivers, target, filter, dryRun);
  } finally {
    await drivers.close();
  }
}

async function list(
  io: Io,
  queue: BrowsableQueue,
  topic: string,
  filter: DeadLetterFilter,
  limit: number,
  json: boolean,
) {
  let count = 0;
  if (!json)
    io.stdout.write(
      `${"ID".padEnd(24)} ${"FAILED".padEnd(10)} ${"ATTEMPTS".padEnd(8)} ${"TOPIC".padEnd(24)} ERROR\n`,
    );
  for await (const message of deadLetters(queue, topic, filter)) {
    const summary = summarize(message);
    if (json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      const age = `${ago(Date.now() - summary.lastFailureAt)} ago`;
      const row = [
        summary.id.padEnd(24),
        age.padEnd(10),
        String(summary.attempts ?? "?").padEnd(8),
        (summary.originalTopic ?? "?").padEnd(24),
        summary.error ?? "",
      ];
      io.stdout.write(`${row.join(" ")}\n`);
    }
    if (++count >= limit) break;
  }
  if (!json)
    io.stdout.write(
      `${count} dead letter${count === 1 ? "" : "s"} in "${topic}"${count >= limit ? ` (first ${limit}; --limit for more)` : ""}\n`,
    );
  return 0;
}

async function show(io: Io, queue: BrowsableQueue, topic: string, id: string) {
  for await (const message of deadLetters(queue, topic, { ids: new Set([id]) })) {
    const body = { ...summarize(message), metadata: message.metadata, ...showPayload(message.payload) };
    io.stdout.write(`${JSON.stringify(body, null, io.stdout.isTTY ? 2 : undefined)}\n`);
    return 0;
  }
  return io.print(`no dead letter ${JSON.stringify(id)} in "${topic}"`, 1, "stderr");
}

async function purge(io: Io, target: DeadLetterTarget, filter: DeadLetterFilter, dryRun: boolean) {
  const removed = await purgeDeadLetters(target, filter, { dryRun });
  return io.print(
    `${dryRun ? "would remove" : "removed"} ${removed} dead letter${removed === 1 ? "" : "s"} from "${target.topic}"`,
    0,
  );
}

/** Replays through the shared `replayDeadLetters`, printing each outcome as it happens. */
async function replay(
  io: Io,
  config: ConsumerConfig,
  drivers: SlotDrivers,
  target: DeadLetterTarget,
  filter: DeadLetterFilter,
  dryRun: boolean,
): Promise<number> {
  const send = replaySender(config, await drivers.driver("messageSource"));
  if (typeof send === "string") return io.print(send, 1, "stderr");
  const { topic } = target;
  const results = await replayDeadLetters(target, send, filter, {
    dryRun,
    onResult: ({ id, target: to, outcome, error }) => {
      if (outcome === "would-replay") io.stdout.write(`would replay ${id} to "${to}"\n`);
      if (outcome === "publish-failed")
        io.stderr.write(`could not replay ${id} to "${to}" (it stays in "${topic}"): ${error}\n`);
      if (outcome === "remove-failed")
        io.stderr.write(
          `replayed ${id} to "${to}" but could not remove it from "${topic}" (a later replay sends it again): ${error}\n`,
        );
    },
  });
  const plural = (n: number) => `${n} dead letter${n === 1 ? "" : "s"}`;
  if (dryRun) return io.print(`would replay ${plural(results.length)}`, 0);
  const replayed = results.filter((result) => result.outcome === "replayed").length;
  const failed = results.length - replayed;
  return io.print(
    `replayed ${plural(replayed)} from "${topic}"${failed ? `; ${failed} failed` : ""}`,
    failed ? 1 : 0,
  );
}

function durationOption(option: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new UsageError(`${option} ${JSON.stringify(text)}: expected a duration like 30m, 1h or 2h30m`);
  return ms;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}
