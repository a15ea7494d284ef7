/** One open iteration: ends when its signal aborts; `finished` once it has wound down. */
export interface Subscription {
  readonly signal: AbortSignal;
  /** Call when the iteration has ended (after giving back what it had not handed over). */
  finish(): void;
}

/**
 * The iterations this driver has open, by topic and group, so `unsubscribe` can end a group's
 * iterations and `close` all of them. Each ends when the caller's signal aborts too.
 */
export class Subscriptions {
  private readonly open = new Map<string, Map<AbortController, Promise<void>>>();

  add(topic: string, group: string, signal: AbortSignal | undefined): Subscription {
    const key = keyOf(topic, group);
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) controller.abort();
    let markFinished = () => {};
    const finished = new Promise<void>((resolve) => {
      markFinished = resolve;
    });
    let members = this.open.get(key);
    if (!members) {
      members = new Map();
      this.open.set(key, members);
    }
    members.set(controller, finished);
    return {
      signal: controller.signal,
      finish: () => {
        signal?.removeEventListener("abort", onAbort);
        controller.abort();
        members.delete(controller);
        if (members.size === 0 && this.open.get(key) === members) this.open.delete(key);
        markFinished();
      },
    };
  }

  /** How many iterations of the group on `topic` are open. */
  count(topic: string, group: string): number {
    return this.open.get(keyOf(topic, group))?.size ?? 0;
  }

  /** Ends the group's iterations on `topic`. */
  end(topic: string, group: string): void {
    for (const controller of this.open.get(keyOf(topic, group))?.keys() ?? []) controller.abort();
  }

  /** Ends every iteration; resolves when all have wound down or after `timeoutMs` (one nobody reads). */
  async endAll(timeoutMs: number): Promise<void> {
    const finishing: Promise<void>[] = [];
    for (const members of this.open.values()) {
      for (const [controller, finished] of members) {
        controller.abort();
        finishing.push(finished);
      }
    }
    if (finishing.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(finishing),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}

function keyOf(topic: string, group: string): string {
  return `${topic}\u0000${group}`;
}

/** Iterates `source` and marks `subscription` finished however the iteration ends. */
export async function* finishing<T>(source: AsyncIterable<T>, subscription: Subscription): AsyncGenerator<T> {
  try {
    yield* source;
  } finally {
    subscription.finish();
  }
}
