import { isClosable } from "./capabilities.js";
import type { ConsumerConfig, SlotBinding } from "./config.js";
import { validateConfig } from "./config-validation.js";
import { Consumer } from "./consumer.js";
import { describeError, PrismError, PrismErrorCode } from "./errors.js";
import type { KeyValueBasicInterface, PubSubInterface, QueueInterface } from "./interfaces.js";
import type { Logger } from "./logger.js";

/** Which slot a driver is being created for, and where its settings sit in the config (for errors). */
export interface DriverContext {
  readonly slot: "messageSource" | "stateStore" | "deadLetterQueue";
  /** e.g. `slots.state_store.config` */
  readonly path: string;
  readonly logger: Logger | undefined;
}

/** What a slot can be bound to: a driver implementing at least one of the three interfaces. */
export type SlotDriver = PubSubInterface | QueueInterface | KeyValueBasicInterface;

/**
 * Creates a connected driver from a slot's `config` mapping. It should check the settings and throw a
 * `ConfigError` naming `context.path`, and fail (not hang) when the backend is unreachable. A factory
 * returning anything that implements none of the slot interfaces does not compile.
 */
export type DriverFactory<D extends SlotDriver = SlotDriver> = (
  config: Readonly<Record<string, unknown>>,
  context: DriverContext,
) => D | Promise<D>;

/** Driver names (as written in `slots.*.driver`) to factories. Passed explicitly: no global registry. */
export type DriverFactories = Readonly<Record<string, DriverFactory>>;

export interface CreateConsumerOptions {
  readonly drivers: DriverFactories;
  readonly logger?: Logger;
  readonly random?: () => number;
}

const slotPaths = {
  messageSource: "slots.message_source",
  stateStore: "slots.state_store",
  deadLetterQueue: "slots.dead_letter_queue",
} as const;

/**
 * Builds a consumer from a configuration: checks it, resolves each slot's driver through `drivers`,
 * creates the drivers (one instance when two slots name the same driver with the same settings, as the
 * seed's NATS source and NATS DLQ do) and binds them. The consumer owns these drivers and closes them
 * when it stops. Unknown drivers fail before any driver is created.
 */
export async function createConsumer(
  config: ConsumerConfig,
  options: CreateConsumerOptions,
): Promise<Consumer> {
  const checked = validateConfig(config, "camel");
  const bindings = Object.entries(checked.slots).filter(
    (entry): entry is [keyof typeof slotPaths, SlotBinding] => Boolean(entry[1]),
  );
  const known = Object.keys(options.drivers).sort();
  const unknown = bindings.filter(([, binding]) => !Object.hasOwn(options.drivers, binding.driver));
  if (unknown.length > 0) {
    const lines = unknown.map(([slot, b]) => `${slotPaths[slot]}.driver: unknown driver "${b.driver}"`);
    throw new PrismError(
      PrismErrorCode.UnknownDriver,
      `${lines.join("; ")}; known drivers: ${known.length > 0 ? known.join(", ") : "(none were passed)"}`,
    );
  }

  const consumer = new Consumer({
    name: checked.name,
    behavior: checked.behavior,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  const created = new Map<string, unknown>();
  const drivers: Partial<Record<keyof typeof slotPaths, unknown>> = {};
  let current: [keyof typeof slotPaths, SlotBinding] | undefined;
  try {
    for (const [slot, binding] of bindings) {
      current = [slot, binding];
      const identity = `${binding.driver}\u0000${stableJson(binding.config ?? {})}`;
      if (!created.has(identity)) {
        const factory = options.drivers[binding.driver] as DriverFactory;
        const context = { slot, path: `${slotPaths[slot]}.config`, logger: options.logger };
        created.set(identity, await factory(binding.config ?? {}, context));
      }
      drivers[slot] = created.get(identity);
    }
    return consumer.bindSlots(drivers.messageSource, drivers.stateStore, drivers.deadLetterQueue, {
      closeOnStop: true,
      ...(checked.slots.messageSource.interface
        ? { sourceInterface: checked.slots.messageSource.interface }
        : {}),
      driverNames: Object.fromEntries(bindings.map(([slot, b]) => [slot, b.driver])),
    });
  } catch (error) {
    for (const driver of created.values()) {
      if (isClosable(driver)) await driver.close().catch(() => {});
    }
    if (error instanceof PrismError || !current) throw error;
    const [slot, binding] = current;
    throw new PrismError(
      PrismErrorCode.BackendUnavailable,
      `${slotPaths[slot]}: driver "${binding.driver}" could not start: ${describeError(error)}`,
      { cause: error },
    );
  }
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
