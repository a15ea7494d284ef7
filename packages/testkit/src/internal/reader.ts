import type { Message } from "@prism/consumer-core/driver";

/**
 * Reads an iterable in the background into a list, settling each message (acknowledging, for queues),
 * so cases can wait until everything arrived and then watch for extras.
 */
export class Reader {
  readonly messages: Message[] = [];
  readonly done: Promise<void>;
  error: unknown;
  /** While set, messages are collected but not settled (to simulate a consumer that dies mid-work). */
  settling = true;

  constructor(
    iterable: AsyncIterable<Message>,
    private readonly abort: AbortController,
    private readonly settle: (message: Message) => Promise<void>,
    private readonly onStop?: () => Promise<void>,
  ) {
    this.done = (async () => {
      try {
        for await (const message of iterable) {
          this.messages.push(message);
          if (this.settling) await this.settle(message);
        }
      } catch (error) {
        if (!this.abort.signal.aborted) this.error = error;
      }
    })();
  }

  /** Waits until `count` messages arrived; throws after `timeoutMs` or if the iteration failed. */
  async waitFor(count: number, timeoutMs: number, what = `${count} messages`): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (this.error) throw this.error;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.messages.length}`);
      }
      await sleep(5);
    }
  }

  /** Ends the iteration (abort, then the driver's own close) and waits for it to finish. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.onStop?.();
    await this.done;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves true when `promise` settles within `ms`. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  return result;
}

/**
 * Reads up to `count` messages from what `open` returns (given a signal that ends it), for at most
 * `timeoutMs`, passing each to `each`; then stops reading, whatever the count reached.
 */
export function take(
  count: number,
  timeoutMs: number,
  open: (signal: AbortSignal) => Promise<AsyncIterable<Message> | undefined>,
  each: (message: Message) => Promise<void> = async () => {},
): Promise<Message[]> {
  return takeUntil((taken) => taken.length === count, timeoutMs, open, each);
}

/** As `take`, until `enough(taken)` holds after a message. */
export async function takeUntil(
  enough: (taken: readonly Message[]) => boolean,
  timeoutMs: number,
  open: (signal: AbortSignal) => Promise<AsyncIterable<Message> | undefined>,
  each: (message: Message) => Promise<void> = async () => {},
): Promise<Message[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const taken: Message[] = [];
  try {
    for await (const message of (await open(abort.signal)) ?? []) {
      await each(message);
      taken.push(message);
      if (enough(taken)) break;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return taken;
}
