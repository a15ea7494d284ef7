import type { ConsumerHealth } from "@prism/consumer-core";
import type { LagReporting } from "@prism/consumer-core/driver";

/**
 * The one-line status shown on a terminal while running: state, processed and its rate, lag, errors and
 * what is in flight — refreshed every second.
 */
export class StatusLine {
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastProcessed = 0;
  private lastAt = Date.now();
  private lag: number | undefined;
  private asking = false;

  constructor(
    private readonly consumer: { health(): ConsumerHealth },
    private readonly lagSource: LagReporting | undefined,
    private readonly show: (line: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.refresh(), 1000);
    this.timer.unref?.();
    this.refresh();
  }

  stop(): void {
    clearInterval(this.timer);
    this.refresh();
  }

  private refresh(): void {
    const health = this.consumer.health();
    const now = Date.now();
    const rate = ((health.counters.processed - this.lastProcessed) * 1000) / Math.max(1, now - this.lastAt);
    this.lastProcessed = health.counters.processed;
    this.lastAt = now;
    this.askLag(health);
    const { counters } = health;
    const errors = counters.failures + counters.acknowledgeErrors;
    const parts = [
      `${health.name} ${health.status}`,
      `${counters.processed} processed (${rate.toFixed(rate < 10 ? 1 : 0)}/s)`,
      `lag ${this.lag ?? "?"}`,
      `${errors} error${errors === 1 ? "" : "s"}`,
      `${counters.deadLettered} dead-lettered`,
      `${health.inFlight} in flight`,
    ];
    this.show(parts.join(" · "));
  }

  private askLag(health: ConsumerHealth): void {
    if (!this.lagSource || this.asking) return;
    this.asking = true;
    this.lagSource
      .consumerLag(health.topic, health.group)
      .then((lag) => {
        this.lag = Object.values(lag).reduce((sum, value) => sum + value, 0);
      })
      .catch(() => {
        this.lag = undefined;
      })
      .finally(() => {
        this.asking = false;
      });
  }
}
