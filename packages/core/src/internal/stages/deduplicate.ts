import { isPrismError, PrismErrorCode } from "../../errors.js";
import type { KeyValueBasicInterface } from "../../interfaces.js";
import type { Logger } from "../../logger.js";
import type { Message } from "../../message.js";
import type { Middleware } from "../../middleware.js";
import type { EventHub } from "../event-hub.js";
import { withMessages } from "../pipeline-delivery.js";

export interface DeduplicateOptions {
  readonly store: KeyValueBasicInterface;
  /** `consumer:{group}:{topic}:{name}:seen:` — every message key is appended to it. */
  readonly keyPrefix: string;
  readonly windowMs: number;
  /** A metadata key whose value identifies a message (a producer's idempotency key); default its id. */
  readonly by: string | undefined;
  readonly hub: EventHub;
  readonly logger: Logger;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Messages processed within the window are not processed again: a message whose key was remembered is
 * done (acknowledged, checkpointed, counted as `deduplicated`); the others go on, and their keys are
 * remembered once they were processed (not when they failed). Each key is stored in the state store with
 * its expiry time as the value and, where the store can, a TTL; expired entries are ignored either way.
 * The state store being unreachable makes deduplication skip, never the message: at-least-once holds.
 */
export function deduplicate(o: DeduplicateOptions): Middleware {
  const seen = new SeenKeys(o);
  return (next) => async (delivery) => {
    const { messages } = delivery;
    const keys = messages.map((message) => o.keyPrefix + keyOf(message, o.by));
    const known = await Promise.all(keys.map((key) => seen.has(key)));
    const fresh: Message[] = [];
    const freshKeys: string[] = [];
    messages.forEach((message, index) => {
      if (known[index]) o.hub.deduplicated(message);
      else {
        fresh.push(message);
        freshKeys.push(keys[index] as string);
      }
    });
    if (fresh.length === 0) return;
    await next(fresh.length === messages.length ? delivery : withMessages(delivery, fresh));
    await Promise.all(freshKeys.map((key) => seen.remember(key)));
  };
}

function keyOf(message: Message, by: string | undefined): string {
  return (by !== undefined ? message.metadata[by] : undefined) ?? message.id;
}

/** The remembered keys in the state store. */
class SeenKeys {
  /** False once the store refused a TTL (NATS KV before 2.11): entries are then kept, and ignored when old. */
  private ttl = true;

  constructor(private readonly o: DeduplicateOptions) {}

  async has(key: string): Promise<boolean> {
    try {
      const value = await this.o.store.get(key);
      return value !== undefined && Number(decoder.decode(value)) > Date.now();
    } catch (error) {
      this.o.hub.driverError("deduplicate", error);
      return false;
    }
  }

  async remember(key: string): Promise<void> {
    const expiresAt = encoder.encode(String(Date.now() + this.o.windowMs));
    try {
      if (this.ttl) {
        try {
          await this.o.store.set(key, expiresAt, Math.ceil(this.o.windowMs / 1000));
          return;
        } catch (error) {
          if (!(isPrismError(error) && error.code === PrismErrorCode.BackendRejected)) throw error;
          this.ttl = false;
          this.o.logger.warn(
            "the state store refused a TTL: deduplication entries are kept and ignored once expired; " +
              "delete old ones yourself, or use a store with TTLs",
            { key },
          );
        }
      }
      await this.o.store.set(key, expiresAt);
    } catch (error) {
      this.o.hub.driverError("deduplicate", error);
    }
  }
}
