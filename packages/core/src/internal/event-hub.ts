import type { FailureRecord } from "../dead-letter.js";
import { describeError } from "../errors.js";
import type {
  ConsumerEventListener,
  ConsumerEventMap,
  ConsumerEventName,
  ConsumerEvents,
} from "../events.js";
import type { ConsumerCounters } from "../health.js";
import type { GroupChange } from "../interfaces.js";
import type { Logger } from "../logger.js";
import type { Message } from "../message.js";
import type { Delivery } from "../middleware.js";
import type { ConsumerState } from "../state.js";
import { PipelineDelivery } from "./pipeline-delivery.js";

type Listeners = { [K in ConsumerEventName]?: Array<ConsumerEventListener<K>> };

/**
 * The one place outcomes are counted: every stage reports here, which updates `health().counters` and
 * tells listeners. An event's payload is built only when someone listens for it.
 */
export class EventHub implements ConsumerEvents {
  private readonly listeners: Listeners = {};
  /** Whether attempts should be timed: someone listens for their outcome. */
  timed = false;

  constructor(
    readonly counters: ConsumerCounters,
    private readonly logger: () => Logger,
  ) {}

  on<K extends ConsumerEventName>(name: K, listener: ConsumerEventListener<K>): () => void {
    const list = (this.listeners[name] ?? []) as Array<ConsumerEventListener<K>>;
    this.listeners[name] = list as Listeners[K];
    list.push(listener);
    this.timed = this.listening("processed") || this.listening("failed");
    return () => {
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
      this.timed = this.listening("processed") || this.listening("failed");
    };
  }

  once<K extends ConsumerEventName>(
    name: K,
    matches?: (event: ConsumerEventMap[K]) => boolean,
  ): Promise<ConsumerEventMap[K]> {
    return new Promise((resolve) => {
      const off = this.on(name, (event) => {
        if (matches && !matches(event)) return;
        off();
        resolve(event);
      });
    });
  }

  /** Whether anyone listens for `name` (so a stage can skip measuring what nobody reads). */
  listening(name: ConsumerEventName): boolean {
    return (this.listeners[name]?.length ?? 0) > 0;
  }

  received(count: number): void {
    this.counters.received += count;
  }

  processed(delivery: Delivery, attempt: number, startedAt: number): void {
    this.counters.processed +=
      delivery instanceof PipelineDelivery ? delivery.size : delivery.messages.length;
    if (this.listening("processed")) {
      this.fire("processed", {
        messages: delivery.messages,
        attempt,
        durationMs: performance.now() - startedAt,
      });
    }
  }

  failed(
    messages: readonly Message[],
    attempt: number,
    error: unknown,
    timedOut: boolean,
    startedAt: number,
  ): void {
    this.counters.failures++;
    if (timedOut) this.counters.timedOut++;
    if (this.listening("failed")) {
      this.fire("failed", { messages, attempt, error, timedOut, durationMs: performance.now() - startedAt });
    }
  }

  retrying(messages: readonly Message[], nextAttempt: number, delayMs: number, error: unknown): void {
    this.counters.retries++;
    if (this.listening("retrying")) this.fire("retrying", { messages, nextAttempt, delayMs, error });
  }

  deadLettered(message: Message, failure: FailureRecord): void {
    this.counters.deadLettered++;
    if (this.listening("deadLettered")) this.fire("deadLettered", { message, failure });
  }

  sentToRetryTopic(message: Message, failure: FailureRecord, topic: string, round: number): void {
    this.counters.sentToRetryTopic++;
    if (this.listening("sentToRetryTopic")) this.fire("sentToRetryTopic", { message, failure, topic, round });
  }

  parked(message: Message, failure: FailureRecord): void {
    this.counters.parked++;
    if (this.listening("parked")) this.fire("parked", { message, failure });
  }

  dropped(message: Message, failure: FailureRecord): void {
    this.counters.dropped++;
    if (this.listening("dropped")) this.fire("dropped", { message, failure });
  }

  filtered(message: Message): void {
    this.counters.filtered++;
    if (this.listening("filtered")) this.fire("filtered", { message });
  }

  deduplicated(message: Message): void {
    this.counters.deduplicated++;
    if (this.listening("deduplicated")) this.fire("deduplicated", { message });
  }

  abandoned(messages: readonly Message[]): void {
    this.counters.abandoned += messages.length;
    if (this.listening("abandoned")) this.fire("abandoned", { messages });
  }

  stalled(messages: readonly Message[], runningMs: number): void {
    if (this.listening("stalled")) this.fire("stalled", { messages, runningMs });
  }

  committed(state: ConsumerState): void {
    this.counters.commits++;
    if (this.listening("committed")) this.fire("committed", { state });
  }

  driverError(operation: string, error: unknown): void {
    if (operation === "acknowledge") this.counters.acknowledgeErrors++;
    if (this.listening("driverError")) this.fire("driverError", { operation, error });
  }

  groupChanged(change: GroupChange): void {
    if (this.listening("groupChanged")) this.fire("groupChanged", { change });
  }

  private fire<K extends ConsumerEventName>(name: K, event: ConsumerEventMap[K]): void {
    for (const listener of [...(this.listeners[name] ?? [])] as Array<ConsumerEventListener<K>>) {
      try {
        listener(event);
      } catch (error) {
        this.logger().warn(`a "${name}" event listener threw`, { error: describeError(error) });
      }
    }
  }
}
