/** Results an iterator hands out back to back before it lets the event loop take a turn. */
const burst = 1024;

/**
 * Resolves iterator results at once, except after 1024 in a row, when the next one waits for the event
 * loop's next turn (`setImmediate`). A reader draining a backlog held in memory otherwise runs on
 * microtasks alone and starves timers and I/O — its consumer's commit timer, a remote state store's
 * replies — until it is done. Messages taken without a promise (`takeBuffered`) count too.
 */
export class EventLoopTurns {
  private handedInARow = 0;

  resolve<T>(result: T): Promise<T> {
    if (++this.handedInARow < burst) return Promise.resolve(result);
    this.handedInARow = 0;
    return new Promise((resolve) => setImmediate(resolve, result));
  }

  /** How many more may be handed over synchronously before the event loop gets its turn. */
  room(): number {
    return Math.max(0, burst - 1 - this.handedInARow);
  }

  /** Records `count` results handed over without a promise. */
  took(count: number): void {
    this.handedInARow += count;
  }

  /** The reader is about to wait for a message: the event loop runs meanwhile anyway. */
  waiting(): void {
    this.handedInARow = 0;
  }
}
