import { type Msg, type NatsConnection, nuid } from "@nats-io/transport-node";
import {
  type Logger,
  type Message,
  type Metadata,
  PrismError,
  PrismErrorCode,
  pushChannel,
  type SubscribeOptions,
} from "@prism/consumer-core/driver";
import { mapNatsError } from "../errors.js";
import type { ConnectionHealth } from "./connection-health.js";
import { messageIdHeader, readMetadata, toHeaders } from "./headers.js";
import { sanitizeName } from "./names.js";
import { finishing, type Subscriptions } from "./subscriptions.js";

/**
 * Core NATS pub/sub: at-most-once. Subscribers sharing an id form a queue group; each subscription holds
 * up to `capacity` messages for a slow reader and drops what arrives beyond that, counting and reporting
 * every drop (health `lastError` and a warning) — never silently.
 */
export class CorePubSub {
  private dropped = 0;

  constructor(
    private readonly connection: NatsConnection,
    private readonly subscriptions: Subscriptions,
    private readonly health: ConnectionHealth,
    private readonly settings: { readonly capacity: number; readonly logger: Logger },
  ) {}

  /** Messages dropped because a subscriber fell more than `capacity` messages behind. */
  get droppedMessages(): number {
    return this.dropped;
  }

  /** Resolves with a generated id (also sent as a header) once the server has the message. */
  async publish(subject: string, payload: Uint8Array, metadata: Metadata): Promise<string> {
    const id = nuid.next();
    try {
      const headers = toHeaders(metadata, { [messageIdHeader]: id });
      this.connection.publish(subject, payload, headers ? { headers } : {});
      await this.connection.flush();
    } catch (error) {
      throw mapNatsError(error, `publish to "${subject}"`);
    }
    return id;
  }

  /** Resolves once the server has the subscription: messages published afterwards reach it. */
  async subscribe(
    subject: string,
    group: string,
    options: SubscribeOptions,
  ): Promise<AsyncIterable<Message>> {
    const subscription = this.subscriptions.add(subject, group, options.signal);
    const capacity = this.settings.capacity;
    const channel = pushChannel<Message>({ capacity, signal: subscription.signal });
    try {
      const natsSubscription = this.connection.subscribe(subject, {
        queue: sanitizeName(group),
        callback: (error, msg) => {
          if (error) channel.end(mapNatsError(error, `subscription to "${subject}"`));
          // Not taken: the buffer is full (a drop, counted and reported) or the subscription is ending.
          else if (!channel.offer(toCoreMessage(msg)) && !subscription.signal.aborted)
            this.drop(subject, group);
        },
      });
      subscription.signal.addEventListener("abort", () => natsSubscription.unsubscribe(), { once: true });
      void natsSubscription.closed.then(() => {
        if (!subscription.signal.aborted) {
          channel.end(
            new PrismError(
              PrismErrorCode.BackendUnavailable,
              `NATS subscription to "${subject}" ended: the connection is closed`,
            ),
          );
        }
        // Nothing to give back (core NATS has no redelivery), so the subscription is over once NATS says so.
        subscription.finish();
      });
      await this.connection.flush();
    } catch (error) {
      subscription.finish();
      throw mapNatsError(error, `subscribe to "${subject}"`);
    }
    return finishing(channel.iterable, subscription);
  }

  private drop(subject: string, group: string): void {
    this.dropped++;
    const problem =
      `core NATS subscriber "${group}" on "${subject}" fell more than ${this.settings.capacity} messages ` +
      `behind: ${this.dropped} message(s) dropped (core NATS is at-most-once; use JetStream or raise core_buffer)`;
    this.health.record(problem);
    // Every drop is counted; the log gets the 1st, 10th, 100th… so a flood does not flood it.
    if (Number.isInteger(Math.log10(this.dropped))) this.settings.logger.warn(problem);
  }
}

function toCoreMessage(msg: Msg): Message {
  const { metadata, problem } = readMetadata(() => msg.headers);
  const message: Message = {
    id: (problem ? undefined : msg.headers?.get(messageIdHeader)) || nuid.next(),
    topic: msg.subject,
    payload: msg.data,
    metadata,
    // Core NATS carries no publish time; the time of receipt is the closest there is.
    timestamp: Date.now(),
    position: undefined,
    deliveryAttempt: 1,
  };
  return problem ? { ...message, conversionError: `NATS message on "${msg.subject}": ${problem}` } : message;
}
