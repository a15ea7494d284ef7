import {
  type ConsumerCounters,
  type ConsumerHealth,
  decodeState,
  describeError,
  type KeyValueBasicInterface,
} from "@prism/consumer-core";
import type { LagReporting } from "@prism/consumer-core/driver";
import { type ConsoleStatus, CountName, type HistoryPoint } from "./api-types.js";

export interface SamplerOptions {
  readonly consumer: { health(): ConsumerHealth; readonly stateKey: string };
  /** The message source, when it can tell its lag. */
  readonly lagSource?: LagReporting | undefined;
  /** The state store, to show the checkpoint it holds. */
  readonly stateStore?: KeyValueBasicInterface | undefined;
  /** How often the lag and the stored checkpoint are read. */
  readonly lagIntervalMs: number;
  /** How often the counts are sampled (one chart point each). Default 1 s. */
  readonly sampleMs?: number;
  /** How much history the chart keeps. Default 5 minutes. */
  readonly historyMs?: number;
  /** Clock (tests). Default `Date.now`. */
  readonly now?: () => number;
}

interface Sample {
  readonly at: number;
  readonly counts: Record<CountName, number>;
}

/** The rate window: counts over the last few seconds, so a rate neither jumps nor lags much. */
const rateWindowMs = 5000;

/**
 * What the console shows that one `health()` call does not: rates, a few minutes of throughput and lag
 * history for the chart, the last lag the source reported and the checkpoint the state store holds.
 * Samples once a second; asks the source and the state store every `lagIntervalMs` (one request at a time).
 */
export class StatusSampler {
  private readonly samples: Sample[] = [];
  private readonly points: HistoryPoint[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private lag: ConsoleStatus["lag"] = { partitions: null, total: null, at: null };
  private stored: Pick<ConsoleStatus["checkpoint"], "stored" | "storedError"> = { stored: null };
  private lastAsked = Number.NEGATIVE_INFINITY;
  private asking = false;
  private readonly now: () => number;

  constructor(private readonly options: SamplerOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.options.sampleMs ?? 1000);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Takes one sample now (the timer calls it; tests too). */
  sample(): void {
    const at = this.now();
    const counts = countsOf(this.options.consumer.health().counters);
    const previous = this.samples.at(-1);
    this.samples.push({ at, counts });
    const keep = this.options.historyMs ?? 5 * 60_000;
    while ((this.samples[0]?.at ?? at) < at - rateWindowMs - 1000) this.samples.shift();
    const perSecond = previous
      ? ((counts.processed - previous.counts.processed) * 1000) / Math.max(1, at - previous.at)
      : 0;
    this.points.push({ at, processedPerSecond: round(perSecond), lag: this.lag.total });
    while ((this.points[0]?.at ?? at) < at - keep) this.points.shift();
    if (at - this.lastAsked >= this.options.lagIntervalMs) void this.ask(at);
  }

  /** Counts, rates, lag, the stored checkpoint and the history, as of the last sample. */
  read(): Pick<ConsoleStatus, "counts" | "rates" | "lag" | "history"> & {
    readonly stored: Pick<ConsoleStatus["checkpoint"], "stored" | "storedError">;
  } {
    const health = this.options.consumer.health();
    const counts = countsOf(health.counters);
    const oldest = this.samples.find((sample) => sample.at >= this.now() - rateWindowMs) ?? this.samples[0];
    const elapsed = oldest ? this.now() - oldest.at : 0;
    const rates = Object.fromEntries(
      Object.values(CountName).map((name) => [
        name,
        oldest && elapsed > 0 ? round(((counts[name] - oldest.counts[name]) * 1000) / elapsed) : 0,
      ]),
    ) as Record<CountName, number>;
    return { counts, rates, lag: this.lag, history: [...this.points], stored: this.stored };
  }

  private async ask(at: number): Promise<void> {
    if (this.asking) return;
    this.asking = true;
    this.lastAsked = at;
    const { consumer, lagSource, stateStore } = this.options;
    const health = consumer.health();
    try {
      await Promise.all([
        lagSource?.consumerLag(health.topic, health.group).then(
          (partitions) => {
            const total = Object.values(partitions).reduce((sum, value) => sum + value, 0);
            this.lag = { partitions: { ...partitions }, total, at: this.now() };
          },
          (error) => {
            this.lag = { partitions: null, total: null, at: this.now(), error: describeError(error) };
          },
        ),
        stateStore?.get(consumer.stateKey).then(
          (bytes) => {
            const state = bytes && decodeState(bytes, consumer.stateKey);
            this.stored = {
              stored: state
                ? {
                    offsets: state.offsets,
                    lastMessageId: state.last_message_id,
                    lastUpdated: state.last_updated,
                  }
                : null,
            };
          },
          (error) => {
            this.stored = { stored: this.stored.stored, storedError: describeError(error) };
          },
        ),
      ]);
    } catch (error) {
      this.stored = { stored: null, storedError: describeError(error) };
    } finally {
      this.asking = false;
    }
  }
}

function countsOf(counters: Readonly<ConsumerCounters>): Record<CountName, number> {
  return {
    processed: counters.processed,
    failed: counters.failures,
    retried: counters.retries,
    deadLettered: counters.deadLettered,
    filtered: counters.filtered,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
