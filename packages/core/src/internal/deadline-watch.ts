import { formatDuration } from "../duration.js";
import { PrismError, PrismErrorCode } from "../errors.js";
import type { Delivery } from "../middleware.js";
import { isPromiseLike } from "./async.js";
import type { EventHub } from "./event-hub.js";

/** One running attempt with a deadline. */
class Attempt {
  done = false;
  expired = false;
  reportedStalled = false;
  private controller: AbortController | undefined;
  private unlink: (() => void) | undefined;
  fail: (error: unknown) => void = () => {};

  constructor(
    readonly delivery: Delivery,
    readonly startedAt: number,
    readonly deadline: number,
  ) {}

  /** The attempt's signal, made on first use: aborted at the deadline or when the delivery's aborts. */
  signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const controller = new AbortController();
    this.controller = controller;
    const parent = this.delivery.signal;
    if (parent.aborted || this.expired) controller.abort(parent.reason);
    else {
      const onAbort = () => controller.abort(parent.reason);
      parent.addEventListener("abort", onAbort, { once: true });
      this.unlink = () => parent.removeEventListener("abort", onAbort);
    }
    return controller.signal;
  }

  expire(reason: PrismError): void {
    this.expired = true;
    this.controller?.abort(reason);
    this.fail(reason);
  }

  finish(): void {
    this.done = true;
    this.unlink?.();
  }
}

/** What the processor sees inside the timeout stage: the delivery, with the attempt's own signal. */
class TimedDelivery implements Delivery {
  constructor(private readonly running: Attempt) {}
  get messages() {
    return this.running.delivery.messages;
  }
  get attempt() {
    return this.running.delivery.attempt;
  }
  get maxAttempts() {
    return this.running.delivery.maxAttempts;
  }
  get consumer() {
    return this.running.delivery.consumer;
  }
  get signal() {
    return this.running.signal();
  }
}

/**
 * Deadlines of running attempts, checked by one timer rather than one per attempt. An attempt past its
 * deadline has its signal aborted and fails with TIMED_OUT at once; one still running a check later
 * (its processor ignores the signal) is stalled: reported once, and counted until it ends.
 */
export class DeadlineWatch {
  private readonly running: Attempt[] = [];
  private readonly overdue = new Set<Attempt>();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly reason: string;

  constructor(
    private readonly timeoutMs: number,
    private readonly hub: EventHub,
  ) {
    this.reason = `timed out after ${formatDuration(timeoutMs)} (processing_timeout)`;
    const every = Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref?.();
  }

  /** Attempts still running after their deadline was signalled. */
  get stalled(): number {
    let count = 0;
    for (const attempt of this.overdue) if (attempt.reportedStalled) count++;
    return count;
  }

  /** Runs `handler` with the attempt's deadline; a late attempt fails with TIMED_OUT. */
  run(delivery: Delivery, handler: (delivery: Delivery) => void | Promise<void>): void | Promise<void> {
    const now = Date.now();
    const attempt = new Attempt(delivery, now, now + this.timeoutMs);
    const result = handler(new TimedDelivery(attempt));
    if (!isPromiseLike(result)) {
      attempt.finish();
      return result;
    }
    this.running.push(attempt);
    return new Promise<void>((resolve, reject) => {
      attempt.fail = reject;
      const settle = () => {
        attempt.finish();
        this.overdue.delete(attempt);
      };
      result.then(
        () => {
          settle();
          resolve();
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const now = Date.now();
    // Fixed timeout: attempts started in order expire in order, so the first one not due ends the scan.
    while (this.running.length > 0) {
      const attempt = this.running[0] as Attempt;
      if (!attempt.done && attempt.deadline > now) break;
      this.running.shift();
      if (attempt.done) continue;
      attempt.expire(new PrismError(PrismErrorCode.TimedOut, this.reason));
      this.overdue.add(attempt);
    }
    for (const attempt of this.overdue) {
      if (attempt.reportedStalled || now - attempt.deadline < Math.min(1000, this.timeoutMs)) continue;
      attempt.reportedStalled = true;
      this.hub.stalled(attempt.delivery.messages, now - attempt.startedAt);
    }
  }
}
