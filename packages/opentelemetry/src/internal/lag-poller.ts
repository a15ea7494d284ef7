import type { LagReporting } from "@prism/consumer-core/driver";

/**
 * Asks a source for a group's lag every `intervalMs` and keeps the last answer, so a metrics scrape
 * never waits for the backend. A failed poll forgets the last answer (a stale lag would mislead) and is
 * reported once until a poll succeeds again.
 */
export class LagPoller {
  private latest: Readonly<Record<string, number>> = {};
  private readonly timer: ReturnType<typeof setInterval>;
  private polling = false;
  private failing = false;

  constructor(
    private readonly source: LagReporting,
    private readonly target: () => { topic: string; group: string },
    intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref?.();
    void this.poll();
  }

  /** Per partition, as last polled. */
  get lag(): Readonly<Record<string, number>> {
    return this.latest;
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const { topic, group } = this.target();
      this.latest = await this.source.consumerLag(topic, group);
      this.failing = false;
    } catch (error) {
      this.latest = {};
      if (!this.failing) this.onError(error);
      this.failing = true;
    } finally {
      this.polling = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
