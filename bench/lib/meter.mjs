/**
 * Counts delivered messages toward a target and times the span from `start()` (called once the reader is
 * subscribed, so connecting and group joins are not part of the rate) or else from the first delivery, to
 * the last delivery.
 */
export class Meter {
  count = 0;
  first = 0;
  last = 0;

  constructor(target) {
    this.target = target;
    this.reached = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  start() {
    this.first = performance.now();
  }

  /** Records one delivered message. */
  tick() {
    const count = ++this.count;
    if (this.first === 0) this.first = performance.now();
    if (count === this.target) {
      this.last = performance.now();
      this.resolve();
    }
  }

  /** Resolves when the target is reached; rejects after `timeoutMs` saying how far it got. */
  async wait(timeoutMs, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: ${this.count} of ${this.target} messages after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.reached, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Messages per second over the timed span. */
  rate() {
    const seconds = (this.last - this.first) / 1000;
    return seconds > 0 ? this.target / seconds : Number.NaN;
  }
}
