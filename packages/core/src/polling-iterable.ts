import { isPrismError } from "./errors.js";
import { sleep } from "./internal/async.js";

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
}

/**
 * Turns a fetch-a-batch function into the pull-based async iterable the interfaces return — the loop
 * every polling driver (Redis Streams, PostgreSQL, …) would otherwise write itself. Errors that are
 * `PrismError`s with `retryable: true` (a lost connection) are retried with backoff until the backend is
 * back; any other error ends the iteration by throwing it.
 */
export function pollingIterable<T>(options: PollingOptions<T>): AsyncIterable<T> {
  const initial = options.retryInitialMs ?? 100;
  const max = options.retryMaxMs ?? 5000;
  return {
    async *[Symbol.asyncIterator]() {
      const abort = new AbortController();
      const outer = options.signal;
      const onAbort = () => abort.abort();
      if (outer?.aborted) return;
      outer?.addEventListener("abort", onAbort, { once: true });
      let failures = 0;
      // A fetch started ahead; settled into a value so that one abandoned at the end rejects nobody.
      let ahead: Promise<Fetched<T>> | undefined;
      const fetchNext = async (): Promise<Fetched<T>> => {
        try {
          return { items: await options.fetch(abort.signal) };
        } catch (error) {
          return { error };
        }
      };
      try {
        while (!abort.signal.aborted) {
          const fetched = await (ahead ?? fetchNext());
          ahead = undefined;
          if ("error" in fetched) {
            const { error } = fetched;
            if (abort.signal.aborted) return;
            if (!(isPrismError(error) && error.retryable)) throw error;
            failures++;
            options.onRetry?.(error, failures);
            if (!(await sleep(Math.min(max, initial * 2 ** (failures - 1)), abort.signal))) return;
            continue;
          }
          if (failures > 0) {
            options.onRecovered?.(failures);
            failures = 0;
          }
          const { items } = fetched;
          if (options.readAhead && items.length > 0) ahead = fetchNext();
          for (const item of items) yield item;
        }
      } finally {
        outer?.removeEventListener("abort", onAbort);
        abort.abort();
      }
    },
  };
}
