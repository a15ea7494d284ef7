import type { Message } from "@prism/consumer-core";
import {
  type DeadLetterTarget,
  purgeDeadLetters,
  type ReplaySend,
  replayDeadLetters,
} from "../dead-letter-operations.js";
import { type DeadLetterFilter, deadLetters, summarize } from "../dead-letters.js";
import type { DeadLetterEntry, DeadLetterPage, PurgeResponse, ReplayResponse } from "./api-types.js";
import { BadRequest } from "./http-json.js";
import { payloadPreview } from "./payload-preview.js";

const maxIds = 1000;

/**
 * The console's dead-letter queue: lists through `deadLetters`, replays and purges through the same
 * `replayDeadLetters` and `purgeDeadLetters` as `prism-consumer dlq`. One replay or purge at a time, so two
 * clicks cannot publish one dead letter twice.
 */
export class DeadLetterApi {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: DeadLetterTarget,
    private readonly send: ReplaySend | string,
  ) {}

  async list(errorText: string | undefined, limit: number): Promise<DeadLetterPage> {
    const filter: DeadLetterFilter = errorText ? { errorText } : {};
    const entries: DeadLetterEntry[] = [];
    let more = false;
    for await (const message of deadLetters(this.target.queue, this.target.topic, filter)) {
      if (entries.length === limit) {
        more = true;
        break;
      }
      entries.push(entry(message));
    }
    return { topic: this.target.topic, entries, more };
  }

  replay(filter: DeadLetterFilter): Promise<ReplayResponse> {
    const send = this.send;
    if (typeof send === "string") return Promise.reject(new BadRequest(send));
    return this.oneAtATime(async () => {
      const results = await replayDeadLetters(this.target, send, filter);
      return {
        replayed: results.filter((result) => result.outcome === "replayed").length,
        failed: results
          .filter((result) => result.outcome !== "replayed")
          .map(({ id, target, error }) => ({ id, target, error: error ?? "" })),
      };
    });
  }

  purge(filter: DeadLetterFilter): Promise<PurgeResponse> {
    return this.oneAtATime(async () => ({ removed: await purgeDeadLetters(this.target, filter) }));
  }

  private oneAtATime<T>(action: () => Promise<T>): Promise<T> {
    const result = this.queue.then(action);
    this.queue = result.catch(() => {});
    return result;
  }
}

/**
 * The request body (a `DeadLetterSelection`) as a filter: some ids, or `all` (narrowed by `error`);
 * anything else is refused — an empty body never means "all".
 */
export function filterOf(body: unknown): DeadLetterFilter {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new BadRequest('expected {"ids": [...]} or {"all": true, "error"?: "text"}');
  const { ids, all, error } = body as Record<string, unknown>;
  if (error !== undefined && typeof error !== "string") throw new BadRequest('"error" must be a string');
  if (all === true) {
    if (ids !== undefined) throw new BadRequest('give "ids" or "all", not both');
    return error ? { errorText: error } : {};
  }
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === "string"))
    throw new BadRequest('expected "ids": a non-empty list of dead-letter ids, or "all": true');
  if (ids.length > maxIds) throw new BadRequest(`at most ${maxIds} ids at once (or "all": true)`);
  return { ids: new Set(ids as string[]), ...(error && { errorText: error }) };
}

function entry(message: Message): DeadLetterEntry {
  const summary = summarize(message);
  return {
    id: summary.id,
    originalTopic: summary.originalTopic ?? null,
    error: summary.error ?? null,
    attempts: summary.attempts ?? null,
    firstFailureAt: summary.firstFailureAt ?? null,
    lastFailureAt: summary.lastFailureAt,
    consumer: summary.consumer ?? null,
    metadata: message.metadata,
    payload: payloadPreview(message.payload),
  };
}
