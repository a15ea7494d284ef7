/** A FIFO of callers waiting for something, woken one at a time or all together. */
export class Waiters<T> {
  private readonly queue: Array<(value: T) => void> = [];

  get size(): number {
    return this.queue.length;
  }

  wait(): Promise<T> {
    return new Promise((resolve) => this.queue.push(resolve));
  }

  /** Adds a waiter and returns the function that removes it again (e.g. on abort). */
  add(resolve: (value: T) => void): () => void {
    this.queue.push(resolve);
    return () => {
      const index = this.queue.indexOf(resolve);
      if (index >= 0) this.queue.splice(index, 1);
    };
  }

  wakeOne(value: T): boolean {
    const resolve = this.queue.shift();
    resolve?.(value);
    return resolve !== undefined;
  }

  wakeAll(value: T): void {
    for (const resolve of this.queue.splice(0)) resolve(value);
  }
}
