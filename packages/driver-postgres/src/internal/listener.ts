import { describeError, type Logger } from "@prism/consumer-core/driver";
import type pg from "pg";
import { quoteIdentifier } from "./schema.js";

type Wake = () => void;

/**
 * One LISTEN connection per driver, shared by its receivers: a NOTIFY naming a queue wakes the receivers
 * waiting on that queue. The connection is made on first use and again after it is lost; receivers also
 * poll, so a lost connection delays messages by at most the poll interval and never loses them.
 */
export class Listener {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private readonly waiting = new Map<string, Set<Wake>>();
  private closed = false;

  constructor(
    private readonly createClient: () => pg.Client,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Registers `wake` for the next notification on `queue` (or a reconnection); returns the function that
   * unregisters it. Register before looking for messages, so a NOTIFY in between is not missed.
   */
  onNotify(queue: string, wake: Wake): () => void {
    let wakes = this.waiting.get(queue);
    if (!wakes) {
      wakes = new Set();
      this.waiting.set(queue, wakes);
    }
    wakes.add(wake);
    return () => {
      wakes.delete(wake);
      if (wakes.size === 0 && this.waiting.get(queue) === wakes) this.waiting.delete(queue);
    };
  }

  /** Resolves once the LISTEN connection is up, or once trying failed (receivers then rely on polling). */
  ensureListening(): Promise<void> {
    if (this.closed || this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = this.createClient();
    // Without an 'error' listener a dropped connection would crash the process.
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, undefined));
    client.on("notification", (notification) => {
      if (notification.channel === this.channel && notification.payload !== undefined) {
        this.wake(this.waiting.get(notification.payload));
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(this.channel)}`);
    } catch (error) {
      this.logger.debug("postgres: LISTEN connection failed; receivers poll until it is back", {
        error: describeError(error),
      });
      await client.end().catch(() => {});
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    // Notifications sent while there was no connection are gone: let every waiting receiver look again.
    for (const wakes of this.waiting.values()) this.wake(wakes);
  }

  private lost(client: pg.Client, error: Error | undefined): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.closed) return;
    this.logger.warn("postgres: the LISTEN connection was lost; waiting receivers make it again", {
      error: error === undefined ? "connection ended" : describeError(error),
    });
    // Without it no notification would come: waiting receivers look again (and listen again) now.
    for (const wakes of this.waiting.values()) this.wake(wakes);
  }

  private wake(wakes: Set<Wake> | undefined): void {
    if (wakes) for (const wake of [...wakes]) wake();
  }
}
