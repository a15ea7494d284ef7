import { isPrismError } from "./errors.js";
import { waitBeforeRetry } from "./reconnect-backoff.js";

type Fetched<T> = { readonly items: readonly T[] } | { readonly error: unknown };

export interface PollingOptions<T> {
  /**
   * Fetches the next items, waiting up to the driver's own poll timeout when there are none (an empty
   * result is fine). Called only when everything fetched before has been taken, so it also bounds
   * buffering (to one batch, or two with `readAhead`). Aborting `signal` should end a pending fetch.
   */
  readonly fetch: (signal: AbortSignal) => Promise<readonly T[]>;
  /**
   * Starts the next fetch as soon as a batch arrives, so its round trip overlaps the processing of this
   * one (at most one batch ahead). Only for sources where a fetched but not yet taken item may wait: it is
   * delivered to this reader and, if the iteration ends first, comes back the way unsettled items do.
   * Default false.
   */
  readonly readAhead?: boolean;
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
  /** Backoff between fetches that failed with a retryable error, in ms. Default 100 doubling to 5000. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Told about every retryable failure before the backoff (for logs and health). */
  readonly onRetry?: (error: unknown, failures: number) => void;
  /** Told when a fetch succeeds again after failures (e.g. the backend came back). */
  readonly onRecovered?: (failures: number) => void;
  /** Told about each item as it is handed to the reader (e.g. to track it until it is settled). */
  readonly handOut?: (item: T) => void;
  /**
   * Called once when the iteration ends, with what was fetched (a read-ahead included) and never handed to
   * the reader — possibly nothing — so the driver can give it back at once and stop tracking.
   */
  readonly release?: (items: readonly T[]) => void | Promise<void>;
}

/**
 * Turns a fetch-a-batch function into the pull-based async iterable the interfaces return — the loop
 * every polling driver (Redis Streams, PostgreSQL, …) would otherwise write itself. Errors that are
 * `PrismError`s with `retryable: true` (a lost connection) are retried with backoff until the backend is
 * back; any other error ends the iteration by throwing it. Its iterator hands over what a fetch brought
 * without a promise per item (`takeBuffered`), and tells `handOut` / `release` what the reader got and what
 * it never took.
 */
export function pollingIterable<T>(options: PollingOptions<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => new PollingIterator(options),
  };
}

class PollingIterator<T> implements AsyncIterableIterator<T> {
  private readonly abort = new AbortController();
  private readonly initialMs: number;
  private readonly maxMs: number;
  private buffer: readonly T[] = [];
  private index = 0;
  private failures = 0;
  /** A fetch started ahead; settled into a value so that one abandoned at the end rejects nobody. */
  private ahead: Promise<Fetched<T>> | undefined;
  private finished = false;
  private readonly onOuterAbort = () => this.abort.abort();

  constructor(private readonly options: PollingOptions<T>) {
    this.initialMs = options.retryInitialMs ?? 100;
    this.maxMs = options.retryMaxMs ?? 5000;
    const outer = options.signal;
    if (outer?.aborted) this.abort.abort();
    else outer?.addEventListener("abort", this.onOuterAbort, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    while (!this.finished) {
      if (this.index < this.buffer.length) return { done: false, value: this.handOut() };
      if (this.abort.signal.aborted) break;
      const fetched = await (this.ahead ?? this.fetchNext());
      this.ahead = undefined;
      if ("error" in fetched) {
        const { error } = fetched;
        if (this.abort.signal.aborted) break;
        if (!(isPrismError(error) && error.retryable)) {
          await this.end();
          throw error;
        }
        this.failures++;
        this.options.onRetry?.(error, this.failures);
        const backoff = { initialMs: this.initialMs, maxMs: this.maxMs };
        if (!(await waitBeforeRetry(this.failures, this.abort.signal, backoff))) break;
        continue;
      }
      if (this.failures > 0) {
        this.options.onRecovered?.(this.failures);
        this.failures = 0;
      }
      this.buffer = fetched.items;
      this.index = 0;
      if (this.options.readAhead && fetched.items.length > 0) this.ahead = this.fetchNext();
    }
    await this.end();
    return { done: true, value: undefined };
  }

  /** What the last fetch brought and the reader has not taken yet, up to `max`. */
  takeBuffered(max: number): T[] {
    const taken: T[] = [];
    while (taken.length < max && this.index < this.buffer.length) taken.push(this.handOut());
    return taken;
  }

  async return(): Promise<IteratorResult<T>> {
    await this.end();
    return { done: true, value: undefined };
  }

  private handOut(): T {
    const item = this.buffer[this.index++] as T;
    this.options.handOut?.(item);
    return item;
  }

  private async fetchNext(): Promise<Fetched<T>> {
    try {
      return { items: await this.options.fetch(this.abort.signal) };
    } catch (error) {
      return { error };
    }
  }

  /** Ends the iteration: what was fetched and never taken goes back (`release`), including a read-ahead. */
  private async end(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.options.signal?.removeEventListener("abort", this.onOuterAbort);
    this.abort.abort();
    const untaken = this.buffer.slice(this.index);
    this.buffer = [];
    const ahead = await this.ahead;
    this.ahead = undefined;
    if (ahead && "items" in ahead) untaken.push(...ahead.items);
    await this.options.release?.(untaken);
  }
}
