import { missingMethods } from "./capabilities.js";
import { SourceInterface } from "./config.js";
import { SlotBindingError } from "./errors.js";
import type { KeyValueBasicInterface, PubSubInterface, QueueInterface } from "./interfaces.js";

const pubSubMethods = ["publish", "subscribe", "unsubscribe"] as const;
const queueMethods = ["enqueue", "receive", "acknowledge", "reject"] as const;
const keyValueMethods = ["set", "get", "delete", "exists"] as const;

/** The message source as the consumer will use it. */
export type BoundSource =
  | { readonly kind: "pubsub"; readonly driver: PubSubInterface }
  | { readonly kind: "queue"; readonly driver: QueueInterface };

/** Drivers checked against the interfaces of their slots. */
export interface BoundSlots {
  readonly messageSource: BoundSource;
  readonly stateStore: KeyValueBasicInterface;
  readonly deadLetterQueue: QueueInterface | undefined;
}

/** The named form of `bindSlots`: the drivers by slot. */
export interface SlotDrivers {
  /** The message source: a `PubSubInterface` or `QueueInterface` driver. */
  readonly source: unknown;
  /** The state store: a `KeyValueBasicInterface` driver. */
  readonly state: unknown;
  /** The dead-letter queue (optional): a `QueueInterface` driver. */
  readonly deadLetter?: unknown;
}

/** Whether `value` is the named form (a plain object with `source` and `state`), not a driver. */
export function isSlotDrivers(value: unknown): value is SlotDrivers {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return (prototype === Object.prototype || prototype === null) && "source" in value && "state" in value;
}

export interface BindSlotsOptions {
  /** When the source driver offers both interfaces. Default: pub/sub. */
  readonly sourceInterface?: SourceInterface;
  /** Names used in errors (e.g. the config's driver names); default: each driver's class name. */
  readonly driverNames?: Partial<Record<"messageSource" | "stateStore" | "deadLetterQueue", string>>;
}

/**
 * Checks at runtime that each driver implements its slot's interface: the message source
 * `PubSubInterface` or `QueueInterface`, the state store `KeyValueBasicInterface`, the optional
 * dead-letter queue `QueueInterface`. A wrong binding throws a `SlotBindingError` naming the slot, the
 * driver and the missing methods.
 */
export function bindSlots(
  messageSource: unknown,
  stateStore: unknown,
  deadLetterQueue?: unknown,
  options: BindSlotsOptions = {},
): BoundSlots {
  const name = (slot: keyof NonNullable<BindSlotsOptions["driverNames"]>, driver: unknown) =>
    options.driverNames?.[slot] ?? describeDriver(driver);

  const missingPubSub = missingMethods(messageSource, pubSubMethods);
  const missingQueue = missingMethods(messageSource, queueMethods);
  let source: BoundSource;
  const wanted = options.sourceInterface;
  if (wanted === SourceInterface.Queue || (wanted === undefined && missingPubSub.length > 0)) {
    if (missingQueue.length > 0) {
      const expected = wanted === undefined ? "PubSubInterface or QueueInterface" : "QueueInterface";
      const missing = wanted === undefined ? closest(missingPubSub, missingQueue) : missingQueue;
      throw new SlotBindingError(
        "slots.message_source",
        name("messageSource", messageSource),
        expected,
        missing,
      );
    }
    source = { kind: "queue", driver: messageSource as QueueInterface };
  } else {
    if (missingPubSub.length > 0) {
      throw new SlotBindingError(
        "slots.message_source",
        name("messageSource", messageSource),
        "PubSubInterface",
        missingPubSub,
      );
    }
    source = { kind: "pubsub", driver: messageSource as PubSubInterface };
  }

  const missingKeyValue = missingMethods(stateStore, keyValueMethods);
  if (missingKeyValue.length > 0) {
    throw new SlotBindingError(
      "slots.state_store",
      name("stateStore", stateStore),
      "KeyValueBasicInterface",
      missingKeyValue,
    );
  }

  if (deadLetterQueue !== undefined && deadLetterQueue !== null) {
    const missingDlq = missingMethods(deadLetterQueue, queueMethods);
    if (missingDlq.length > 0) {
      throw new SlotBindingError(
        "slots.dead_letter_queue",
        name("deadLetterQueue", deadLetterQueue),
        "QueueInterface",
        missingDlq,
      );
    }
  }

  return {
    messageSource: source,
    stateStore: stateStore as KeyValueBasicInterface,
    deadLetterQueue: (deadLetterQueue ?? undefined) as QueueInterface | undefined,
  };
}

/** The shorter list of missing methods: the interface the driver most likely meant to implement. */
function closest(a: string[], b: string[]): string[] {
  return a.length <= b.length ? a : b;
}

function describeDriver(driver: unknown): string {
  if (driver === null || driver === undefined) return String(driver);
  if (typeof driver !== "object") return `(a ${typeof driver})`;
  const constructorName = (driver as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof constructorName === "string" && constructorName !== "Object"
    ? constructorName
    : "(an object)";
}
