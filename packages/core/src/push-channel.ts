const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** A bounded hand-over from a callback-style client (push) to an async iterable (pull). */
export interface PushChannel<T> {
  /**
   * Iterate once; ends after `end()`, on abort, or when the reader stops. Its iterator also hands over
   * what is held without a promise per item (`takeBuffered`, see `BufferedIterator`).
   */
  readonly iterable: AsyncIterable<T>;
  /**
   * Hands over an item. Resolves `true` once the channel holds it — at once while fewer than `capacity`
   * items wait, otherwise once the reader has taken it down to half (await it: that is the backpressure)
   * — or `false` if the channel has ended, or `signal` aborted while it waited, and the item was not taken.
   */
  push(item: T, signal?: AbortSignal): Promise<boolean>;
  /**
   * Hands over an item only if that needs no waiting: `true` when the channel took it, `false` when it is
   * full or ended (then nothing was taken; `push` waits for room). Per-message drivers call it first, to
   * skip a promise per item while the reader keeps up.
   */
  offer(item: T): boolean;
  /** Ends the iteration after the items already held; with an error, the reader's next pull throws it. */
  end(error?: unknown): void;
  /**
   * Takes back every item held and not yet read (e.g. messages of partitions that move to another
   * member), in the order they were pushed; waiting producers may go on.
   */
  drain(): T[];
  /** Items held and not yet taken. */
  readonly size: number;
}

/**
 * For drivers whose client delivers through callbacks (a NATS subscription, kafkajs `eachMessage`):
 * the client pushes, the consumer pulls, and at most `capacity` items wait in between.
 */
export function pushChannel<T>(options: { capacity: number; signal?: AbortSignal }): PushChannel<T> {
  const held: T[] = [];
  const resumeAt = Math.floor(options.capacity / 2);
  const producers: Array<() => void> = [];
  let reader: ((result: IteratorResult<T>) => void) | undefined;
  let readerFailed: ((error: unknown) => void) | undefined;
  let ended = false;
  let failure: { error: unknown } | undefined;

  const finish = (error?: unknown) => {
    if (ended) return;
    ended = true;
    if (error !== undefined) failure = { error };
    for (const wake of producers.splice(0)) wake();
    if (reader && held.length === 0) {
      const [resolve, reject] = [reader, readerFailed];
      reader = readerFailed = undefined;
      if (failure) reject?.(failure.error);
      else resolve(done);
    }
  };
  options.signal?.addEventListener("abort", () => finish(), { once: true });
  if (options.signal?.aborted) finish();

  const iterator: AsyncIterableIterator<T> & { takeBuffered(max: number): T[] } = {
    next() {
      if (held.length > 0) {
        const item = held.shift() as T;
        // Waiting producers resume together once half the room is free, not one per item taken, so a
        // full channel does not cost a wake-up (and a producer's timer) per message.
        if (producers.length > 0 && held.length <= resumeAt) for (const wake of producers.splice(0)) wake();
        return Promise.resolve({ done: false, value: item });
      }
      if (ended) return failure ? Promise.reject(failure.error) : Promise.resolve(done);
      return new Promise((resolve, reject) => {
        reader = resolve;
        readerFailed = reject;
      });
    },
    /** What the channel holds now, up to `max`, without a promise per item. */
    takeBuffered(max: number): T[] {
      const taken = held.length <= max ? held.splice(0) : held.splice(0, max);
      if (producers.length > 0 && held.length <= resumeAt) for (const wake of producers.splice(0)) wake();
      return taken;
    },
    return() {
      finish();
      held.length = 0;
      return Promise.resolve(done);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };

  const offer = (item: T): boolean => {
    if (ended) return false;
    if (reader) {
      const resolve = reader;
      reader = readerFailed = undefined;
      resolve({ done: false, value: item });
      return true;
    }
    if (held.length >= options.capacity) return false;
    held.push(item);
    return true;
  };

  return {
    iterable: iterator,
    get size() {
      return held.length;
    },
    offer,
    async push(item: T, signal?: AbortSignal): Promise<boolean> {
      if (ended || signal?.aborted) return false;
      if (offer(item)) return true;
      while (held.length >= options.capacity) {
        await new Promise<void>((resolve) => {
          // The listener goes once the producer is woken: a long-lived signal (a subscription's) would
          // otherwise gather one per wait, for as long as the reader runs behind.
          const onAbort = () => resolve();
          producers.push(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          });
          signal?.addEventListener("abort", onAbort, { once: true });
        });
        if (ended || signal?.aborted) return false;
      }
      held.push(item);
      return true;
    },
    end: finish,
    drain(): T[] {
      const taken = held.splice(0);
      for (const wake of producers.splice(0)) wake();
      return taken;
    },
  };
}
