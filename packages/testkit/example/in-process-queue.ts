// The worked example of the testkit README, "Write a driver in an afternoon": a complete queue driver
// whose backend is an object in the same process. Swap `InProcessBroker` for your client and keep the
// rest: options declared once, settlement through `UnsettledMessages`, the receive loop from
// `pollingIterable`, leases renewed while a receive runs and given back when it stops.
import {
  type DriverFactory,
  defineOptions,
  type Message,
  type Metadata,
  type OptionsOf,
  option,
  pollingIterable,
  type QueueInterface,
  type ReceiveOptions,
  UnsettledMessages,
} from "@prism/consumer-core/driver";

/** One stored message and its lease: `leasedUntil` is 0 while it waits, a time while it is out. */
interface Entry {
  readonly id: string;
  readonly payload: Uint8Array;
  readonly metadata: Metadata;
  readonly timestamp: number;
  attempts: number;
  leasedUntil: number;
}

/** The "server": named queues of entries. Your driver talks to a real one instead. */
export class InProcessBroker {
  private readonly queues = new Map<string, Entry[]>();
  private readonly waiting = new Set<() => void>();
  private sequence = 0;

  add(queue: string, payload: Uint8Array, metadata: Metadata): string {
    const id = String(++this.sequence);
    this.entries(queue).push({ id, payload, metadata, timestamp: Date.now(), attempts: 0, leasedUntil: 0 });
    this.wake();
    return id;
  }

  /** Leases up to `max` entries that wait, or whose lease ran out (their receiver died), for `leaseMs`. */
  lease(queue: string, max: number, leaseMs: number): Entry[] {
    const now = Date.now();
    const free = this.entries(queue)
      .filter((entry) => entry.leasedUntil <= now)
      .slice(0, max);
    for (const entry of free) {
      entry.attempts += 1;
      entry.leasedUntil = now + leaseMs;
    }
    return free;
  }

  renew(entries: readonly Entry[], leaseMs: number): void {
    for (const entry of entries) entry.leasedUntil = Date.now() + leaseMs;
  }

  /** Makes entries available again at once (rejected with requeue, or fetched and never handed out). */
  giveBack(entries: readonly Entry[]): void {
    for (const entry of entries) entry.leasedUntil = 0;
    this.wake();
  }

  remove(queue: string, entry: Entry): void {
    const entries = this.entries(queue);
    const at = entries.indexOf(entry);
    if (at >= 0) entries.splice(at, 1);
  }

  /** Resolves when something is added or given back, after `ms`, or on abort. */
  waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private entries(queue: string): Entry[] {
    const entries = this.queues.get(queue) ?? [];
    this.queues.set(queue, entries);
    return entries;
  }

  private wake(): void {
    for (const wake of [...this.waiting]) wake();
  }
}

/** The driver's options, declared once: YAML reads `visibility_timeout`, code `visibilityTimeout`. */
export const inProcessQueueOptions = defineOptions({
  /** How long a received message may stay unsettled before a dead receiver's lease runs out. */
  visibilityTimeout: { type: option.duration({ positive: true }), default: 30_000 },
  /** Messages one receive fetches at a time (its prefetch). */
  batchSize: { type: option.integer({ min: 1 }), default: 16 },
});
export type InProcessQueueOptions = Partial<OptionsOf<typeof inProcessQueueOptions>>;

export class InProcessQueue implements QueueInterface {
  private readonly options: OptionsOf<typeof inProcessQueueOptions>;
  /** What receives handed out and nobody settled yet, with the broker entry behind each message. */
  private readonly unsettled = new UnsettledMessages<{ readonly queue: string; readonly entry: Entry }>();

  constructor(
    private readonly broker: InProcessBroker,
    options: InProcessQueueOptions = {},
  ) {
    this.options = inProcessQueueOptions.read(options, { style: "camel", path: "options" });
  }

  async enqueue(queue: string, payload: Uint8Array, metadata: Metadata = {}): Promise<string> {
    return this.broker.add(queue, payload, metadata);
  }

  async receive(queue: string, options: ReceiveOptions = {}): Promise<AsyncIterable<Message>> {
    const { visibilityTimeout: leaseMs, batchSize } = this.options;
    const entries = new Map<Message, Entry>();
    // While this receive runs, its leases are renewed: a slow message is never given to another member.
    const receiver = this.unsettled.receiver({
      renewEveryMs: leaseMs / 3,
      renew: (handles) =>
        this.broker.renew(
          handles.map((h) => h.entry),
          leaseMs,
        ),
    });
    return pollingIterable<Message>({
      ...(options.signal ? { signal: options.signal } : {}),
      fetch: async (signal) => {
        let leased = this.broker.lease(queue, batchSize, leaseMs);
        if (leased.length === 0) {
          await this.broker.waitForChange(Math.min(leaseMs, 1000), signal);
          leased = this.broker.lease(queue, batchSize, leaseMs);
        }
        return leased.map((entry) => {
          const message = toMessage(queue, entry);
          entries.set(message, entry);
          return message;
        });
      },
      handOut: (message) => receiver.handOut(message, { queue, entry: entries.get(message) as Entry }),
      // Fetched but never handed to the reader: back at once. What it holds unsettled stays settleable
      // (rule 1); if nobody settles it, its lease runs out and it is delivered again (rule 2).
      release: (untaken) => {
        this.broker.giveBack(untaken.map((message) => entries.get(message) as Entry));
        receiver.stop();
      },
    });
  }

  async acknowledge(message: Message): Promise<void> {
    const { queue, entry } = this.unsettled.settleOrThrow(message, "acknowledge");
    this.broker.remove(queue, entry);
  }

  async reject(message: Message, requeue: boolean): Promise<void> {
    const { queue, entry } = this.unsettled.settleOrThrow(message, "reject");
    if (requeue) this.broker.giveBack([entry]);
    else this.broker.remove(queue, entry);
  }
}

function toMessage(queue: string, entry: Entry): Message {
  return {
    id: entry.id,
    topic: queue,
    payload: entry.payload,
    metadata: entry.metadata,
    timestamp: entry.timestamp,
    position: undefined, // a work queue: no offsets to resume from
    deliveryAttempt: entry.attempts,
  };
}

/**
 * The factory for YAML (`driver: in-process`): checks the slot's config, naming `context.path` in errors.
 * Every driver it creates shares `broker`, as every client of a real server shares that server.
 */
export function inProcessQueueDriver(broker: InProcessBroker): DriverFactory<InProcessQueue> {
  return (config, context) => {
    const options = inProcessQueueOptions.read(config, { style: "snake", path: context.path });
    return new InProcessQueue(broker, options);
  };
}
