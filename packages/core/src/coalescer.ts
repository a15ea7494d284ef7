interface Waiting<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Coalesces calls to a backend: the first item goes out at once; while a send is in flight the next items
 * wait and then go out together, up to `maxBatch` per send. Each item's promise settles with the send that
 * carried it, so it still means "the backend confirmed" — at one round trip per batch instead of one per
 * item. For drivers acknowledging messages (one XACK, one `DELETE … = ANY`).
 */
export function coalescer<T>(
  send: (items: readonly T[]) => Promise<unknown>,
  maxBatch = 1024,
): (item: T) => Promise<void> {
  let inFlight = false;
  let waiting: Waiting<T>[] = [];
  const flush = (): void => {
    if (waiting.length === 0) return;
    const batch = waiting.slice(0, maxBatch);
    waiting = waiting.slice(maxBatch);
    inFlight = true;
    send(batch.map((w) => w.item))
      .then(
        () => {
          for (const w of batch) w.resolve();
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
        },
      )
      .finally(() => {
        inFlight = false;
        flush();
      });
  };
  return (item) => {
    const queued = new Promise<void>((resolve, reject) => waiting.push({ item, resolve, reject }));
    if (!inFlight) flush();
    return queued;
  };
}
