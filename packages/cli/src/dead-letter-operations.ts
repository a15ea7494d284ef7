import { type ConsumerConfig, describeError } from "@prism/consumer-core";
import type { BrowsableQueue } from "@prism/consumer-core/driver";
import { type DeadLetterFilter, deadLetters, replayMetadata, summarize } from "./dead-letters.js";

/**
 * Replay and purge, written once: the `dlq` commands and the console's HTTP API both call these, so a
 * dead letter leaves the queue by the same rules whichever way an operator asked.
 */

/** Publishes a copy to `topic` through the message source's driver; resolves with the new id. */
export type ReplaySend = (
  topic: string,
  payload: Uint8Array,
  metadata: Record<string, string>,
) => Promise<string>;

/** The dead-letter topic of a config: `behavior.dead_letter_topic`, else `{topic}.dlq`. */
export function deadLetterTopic(config: ConsumerConfig): string {
  return config.behavior.deadLetterTopic ?? `${config.behavior.topic}.dlq`;
}

/**
 * How a replay publishes with this message source driver: `enqueue` for a queue source (or a driver
 * without `publish`), else `publish`. A string says why it cannot.
 */
export function replaySender(config: ConsumerConfig, source: unknown): ReplaySend | string {
  const driver = source as { publish?: ReplaySend; enqueue?: ReplaySend } | undefined;
  const viaQueue = config.slots.messageSource.interface === "queue" || typeof driver?.publish !== "function";
  const send = viaQueue ? driver?.enqueue : driver?.publish;
  if (typeof send !== "function")
    return `slots.message_source: driver "${config.slots.messageSource.driver}" cannot publish`;
  return send.bind(driver);
}

/** Where dead letters are and how they go home. */
export interface DeadLetterTarget {
  readonly queue: BrowsableQueue;
  /** The dead-letter topic (queue name). */
  readonly topic: string;
  /** Where a dead letter without `prism-original-topic` goes: the consumer's topic. */
  readonly defaultTopic: string;
}

/** What happened to one dead letter in a replay. */
export interface ReplayResult {
  readonly id: string;
  /** The topic it was (or would be) published to. */
  readonly target: string;
  readonly outcome: "replayed" | "would-replay" | "publish-failed" | "remove-failed";
  /** Why it failed, without credentials. */
  readonly error?: string;
}

/** Every dead letter a replay or purge would touch, collected first: removing while paging moves pages. */
async function select(target: DeadLetterTarget, filter: DeadLetterFilter) {
  const selected = [];
  for await (const message of deadLetters(target.queue, target.topic, filter)) selected.push(message);
  return selected;
}

/**
 * Publishes each matching dead letter to its original topic, and removes it from the dead-letter queue
 * only once the source has accepted the copy: at-least-once, never a loss. One that could not be
 * published stays; one published but not removed is sent again by a later replay. `onResult` hears each
 * outcome as it happens.
 */
export async function replayDeadLetters(
  target: DeadLetterTarget,
  send: ReplaySend,
  filter: DeadLetterFilter,
  options: { readonly dryRun?: boolean; readonly onResult?: (result: ReplayResult) => void } = {},
): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  const report = (result: ReplayResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  for (const message of await select(target, filter)) {
    const topic = summarize(message).originalTopic ?? target.defaultTopic;
    const base = { id: message.id, target: topic };
    if (options.dryRun) {
      report({ ...base, outcome: "would-replay" });
      continue;
    }
    try {
      await send(topic, message.payload, { ...replayMetadata(message, target.topic) });
    } catch (error) {
      report({ ...base, outcome: "publish-failed", error: describeError(error) });
      continue;
    }
    try {
      await target.queue.remove(target.topic, [message.id]);
      report({ ...base, outcome: "replayed" });
    } catch (error) {
      report({ ...base, outcome: "remove-failed", error: describeError(error) });
    }
  }
  return results;
}

/** Removes every matching dead letter for good (or, with `dryRun`, counts them); resolves with how many. */
export async function purgeDeadLetters(
  target: Pick<DeadLetterTarget, "queue" | "topic">,
  filter: DeadLetterFilter,
  options: { readonly dryRun?: boolean } = {},
): Promise<number> {
  const ids = (await select({ ...target, defaultTopic: "" }, filter)).map((message) => message.id);
  if (options.dryRun) return ids.length;
  let removed = 0;
  for (let i = 0; i < ids.length; i += 100)
    removed += await target.queue.remove(target.topic, ids.slice(i, i + 100));
  return removed;
}
