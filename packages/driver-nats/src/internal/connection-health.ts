import type { NatsConnection, Status } from "@nats-io/transport-node";
import { type DriverHealth, describeError } from "@prism/consumer-core/driver";

/**
 * Follows a connection's status events: whether it is connected, how often it reconnected, and the last
 * problem (a disconnect, a server error, or one the driver reports).
 */
export class ConnectionHealth {
  private connected = true;
  private reconnects = 0;
  private changes = 0;
  private lastError: string | undefined;
  private readonly statuses: AsyncIterable<Status>;

  constructor(private readonly connection: NatsConnection) {
    this.statuses = connection.status();
    void this.follow();
  }

  snapshot(): DriverHealth {
    const connected = this.connected && !this.connection.isClosed();
    return {
      connected,
      reconnects: this.reconnects,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  /** Increases whenever the connection drops or comes back: messages in flight then may have been lost. */
  get epoch(): number {
    return this.changes;
  }

  /** Records a problem the driver ran into (without credentials: nats.js messages carry none). */
  record(error: unknown): void {
    this.lastError = describeError(error);
  }

  /** Stops following; needed for a connection the driver does not close (nats.js ends it at close). */
  stop(): void {
    // nats.js returns a QueuedIterator, whose stop() ends the iteration at once.
    (this.statuses as { stop?: () => void }).stop?.();
  }

  private async follow(): Promise<void> {
    for await (const status of this.statuses) {
      switch (status.type) {
        case "disconnect":
          this.changes++;
          this.connected = false;
          this.lastError = `disconnected from ${status.server}`;
          break;
        case "reconnect":
          this.changes++;
          this.connected = true;
          this.reconnects++;
          break;
        case "error":
          this.lastError = describeError(status.error);
          break;
        case "close":
          this.connected = false;
          break;
      }
    }
  }
}
