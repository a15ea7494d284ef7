export interface HeldMessagesOptions<T> {
  /** How often the held items are renewed: a third of the backend's lease (visibility timeout, ack wait). */
  readonly renewEveryMs: number;
  /** Extends the backend's lease of these items (a visibility timeout, an ack wait, an idle time). */
  readonly renew: (items: readonly T[]) => unknown;
  /** Told when a renewal fails (the items may be delivered to another member). */
  readonly onError?: (error: unknown) => void;
}

/**
 * For drivers: what one receive has handed out (or claimed ahead) and not yet settled. While the receive
 * runs, their lease at the backend is renewed, so a message that is merely slow is never given to another
 * member, while a dead member's messages come back within one lease. Stop it when the receive ends.
 */
export class HeldMessages<T> {
  private readonly held = new Set<T>();
  private readonly timer: ReturnType<typeof setInterval> | undefined;

  /** Without options nothing is renewed (a backend without leases): it only keeps what is held. */
  constructor(private readonly options?: HeldMessagesOptions<T>) {
    if (options === undefined) return;
    this.timer = setInterval(() => this.renew(), Math.max(1, Math.floor(options.renewEveryMs)));
    this.timer.unref?.();
  }

  get size(): number {
    return this.held.size;
  }

  hold(item: T): void {
    this.held.add(item);
  }

  /** Settled (or given back): no longer renewed. */
  release(item: T): void {
    this.held.delete(item);
  }

  has(item: T): boolean {
    return this.held.has(item);
  }

  /** What is held now, in the order it was taken. */
  items(): T[] {
    return [...this.held];
  }

  /** Stops renewing; what is still held comes back once its lease runs out. */
  stop(): void {
    clearInterval(this.timer);
  }

  private renew(): void {
    const options = this.options;
    if (options === undefined || this.held.size === 0) return;
    try {
      const renewing = options.renew([...this.held]);
      if (renewing instanceof Promise) renewing.catch((error) => options.onError?.(error));
    } catch (error) {
      options.onError?.(error);
    }
  }
}
