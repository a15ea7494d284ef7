import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type ConsumerConfig,
  type ConsumerHealth,
  describeError,
  type KeyValueBasicInterface,
  type Logger,
} from "@prism/consumer-core";
import { isBrowsableQueue, isLagReporting } from "@prism/consumer-core/driver";
import { deadLetterTopic, replaySender } from "../dead-letter-operations.js";
import type { ConsoleStatus } from "./api-types.js";
import {
  type AccessPolicy,
  consoleActions,
  type Refusal,
  refuseMutation,
  refuseRead,
} from "./console-access.js";
import { ConsoleAssets } from "./console-assets.js";
import { DeadLetterApi, filterOf } from "./dead-letter-api.js";
import { BadRequest, readJson, sendJson } from "./http-json.js";
import { slotSummaries } from "./slot-summary.js";
import { StatusSampler } from "./status-sampler.js";

export interface OperatorConsoleOptions {
  readonly config: ConsumerConfig;
  readonly consumer: { health(): ConsumerHealth; readonly stateKey: string };
  /** The drivers the running consumer uses, by slot (the console opens no connection of its own). */
  readonly drivers: {
    readonly messageSource: unknown;
    readonly stateStore: unknown;
    readonly deadLetterQueue: unknown;
  };
  readonly policy: AccessPolicy;
  readonly lagIntervalMs: number;
  readonly logger: Logger;
  readonly assets: ConsoleAssets;
}

/**
 * The operator's console on the `--http` server: the page at `/` and its JSON API —
 * `GET /api/status`, `GET /api/dlq?error=&limit=`, `POST /api/dlq/replay` and `POST /api/dlq/purge` (body
 * `{ids}` or `{all, error?}`), each mutation through `refuseMutation` first.
 */
export class OperatorConsole {
  private readonly sampler: StatusSampler;
  private readonly deadLetters: DeadLetterApi | undefined;
  private readonly noDeadLetters: string | undefined;

  constructor(private readonly options: OperatorConsoleOptions) {
    const { config, consumer, drivers } = options;
    this.sampler = new StatusSampler({
      consumer,
      lagSource: isLagReporting(drivers.messageSource) ? drivers.messageSource : undefined,
      stateStore: drivers.stateStore as KeyValueBasicInterface,
      lagIntervalMs: options.lagIntervalMs,
    });
    const dlq = config.slots.deadLetterQueue;
    if (!dlq) this.noDeadLetters = "this consumer has no dead-letter queue (slots.dead_letter_queue)";
    else if (!isBrowsableQueue(drivers.deadLetterQueue))
      this.noDeadLetters = `driver "${dlq.driver}" cannot browse its queue (no BrowsableQueue)`;
    else {
      const target = {
        queue: drivers.deadLetterQueue,
        topic: deadLetterTopic(config),
        defaultTopic: config.behavior.topic,
      };
      this.deadLetters = new DeadLetterApi(target, replaySender(config, drivers.messageSource));
    }
  }

  start(): void {
    this.sampler.start();
  }

  stop(): void {
    this.sampler.stop();
  }

  /** Answers the request when it is the console's (resolves `true`); otherwise leaves it (`false`). */
  handle(request: IncomingMessage, response: ServerResponse, pathname: string): boolean {
    const isApi = pathname.startsWith("/api/");
    if (!isApi && !ConsoleAssets.isAsset(pathname)) return false;
    const method = request.method ?? "GET";
    const reading = method === "GET" || method === "HEAD";
    const refusal = reading ? refuseRead(this.options.policy, request.headers) : undefined;
    if (refusal) return this.refuse(response, refusal);
    if (!isApi) {
      if (!reading) sendJson(response, 405, { error: "GET only" });
      else this.options.assets.send(response, pathname as "/", method === "HEAD");
      return true;
    }
    this.api(request, response, pathname, method).catch((error) => {
      const status = error instanceof BadRequest ? error.status : 500;
      if (status === 500)
        this.options.logger.error("console request failed", { error: describeError(error) });
      if (!response.headersSent) sendJson(response, status, { error: describeError(error) });
      else response.end();
    });
    return true;
  }

  private async api(request: IncomingMessage, response: ServerResponse, pathname: string, method: string) {
    const route = `${method === "HEAD" ? "GET" : method} ${pathname}`;
    if (route === "GET /api/status") return sendJson(response, 200, this.status());
    if (route === "GET /api/dlq") {
      const dlq = this.requireDeadLetters();
      const params = new URL(request.url ?? "/", "http://console").searchParams;
      const limit = Math.min(500, Math.max(1, Number(params.get("limit") ?? 100) || 100));
      return sendJson(response, 200, await dlq.list(params.get("error") || undefined, limit));
    }
    if (route === "POST /api/dlq/replay" || route === "POST /api/dlq/purge") {
      const refusal = refuseMutation(this.options.policy, request.headers);
      if (refusal) return this.refuse(response, refusal, route);
      const dlq = this.requireDeadLetters();
      const filter = filterOf(await readJson(request));
      const what = filter.ids
        ? `${filter.ids.size} by id`
        : `all${filter.errorText ? ` matching ${JSON.stringify(filter.errorText)}` : ""}`;
      const from = request.socket.remoteAddress;
      if (route === "POST /api/dlq/replay") {
        const result = await dlq.replay(filter);
        this.options.logger.info("console: replayed dead letters", {
          selection: what,
          replayed: result.replayed,
          failed: result.failed.length,
          from,
        });
        return sendJson(response, 200, result);
      }
      const result = await dlq.purge(filter);
      this.options.logger.info("console: purged dead letters", {
        selection: what,
        removed: result.removed,
        from,
      });
      return sendJson(response, 200, result);
    }
    sendJson(response, 404, { error: `no console API ${route}` });
  }

  private status(): ConsoleStatus {
    const { config, consumer, policy } = this.options;
    const health = consumer.health();
    const { counts, rates, lag, history, stored } = this.sampler.read();
    return {
      at: Date.now(),
      consumer: {
        name: health.name,
        group: health.group,
        topic: health.topic,
        member: health.membership.member,
        partitions: health.membership.partitions,
      },
      status: health.status,
      lastError: health.lastError ?? null,
      inFlight: health.inFlight,
      slots: slotSummaries(config, health),
      counts,
      rates,
      lag,
      checkpoint: {
        current: { offsets: health.checkpoint.offsets, lastMessageId: health.checkpoint.lastMessageId },
        ...stored,
        lastCommitAt: health.lastCommitAt ?? null,
      },
      history,
      deadLetters: this.deadLetters
        ? { available: true, topic: deadLetterTopic(config) }
        : {
            available: false,
            topic: config.slots.deadLetterQueue ? deadLetterTopic(config) : null,
            reason: this.noDeadLetters ?? "",
          },
      actions: consoleActions(policy),
    };
  }

  private requireDeadLetters(): DeadLetterApi {
    if (!this.deadLetters) throw new BadRequest(this.noDeadLetters ?? "no dead-letter queue");
    return this.deadLetters;
  }

  private refuse(response: ServerResponse, refusal: Refusal, route?: string): true {
    if (route)
      this.options.logger.warn("console: request refused", {
        route,
        status: refusal.status,
        reason: refusal.error,
      });
    sendJson(response, refusal.status, { error: refusal.error });
    return true;
  }
}
