import { formatDuration } from "../duration.js";
import { PrismError, PrismErrorCode } from "../errors.js";
import type { EventHub } from "./event-hub.js";
import type { PipelineDelivery } from "./pipeline-delivery.js";

/** One running attempt with a deadline. */
interface Attempt {
  readonly delivery: PipelineDelivery;
  readonly startedAt: number;
  readonly deadline: number;
  done: boolean;
  reportedStalled: boolean;
  fail: (error: unknown) => void;
}

/**
 * Deadlines of running attempts, checked by one timer rather than one per attempt, and only for attempts
 * that did not finish synchronously. An attempt past its deadline has its signal aborted and fails with
 * TIMED_OUT at once; one still running a check later (its processor ignores the signal) is stalled:
 * reported once, and counted until it ends.
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

  /** Watches an attempt that is still running (`result`): it fails with TIMED_OUT at its deadline. */
  track(delivery: PipelineDelivery, result: Promise<void>): Promise<void> {
    const now = Date.now();
    const attempt: Attempt = {
      delivery,
      startedAt: now,
      deadline: now + this.timeoutMs,
      done: false,
      reportedStalled: false,
      fail: () => {},
    };
    this.running.push(attempt);
    return new Promise<void>((resolve, reject) => {
      attempt.fail = reject;
      const settle = () => {
        attempt.done = true;
        delivery.finish();
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
      const reason = new PrismError(PrismErrorCode.TimedOut, this.reason);
      attempt.delivery.expire(reason);
      attempt.fail(reason);
      this.overdue.add(attempt);
    }
    for (const attempt of this.overdue) {
      if (attempt.reportedStalled || now - attempt.deadline < Math.min(1000, this.timeoutMs)) continue;
      attempt.reportedStalled = true;
      this.hub.stalled(attempt.delivery.messages, now - attempt.startedAt);
    }
  }
}
