import type { ConsumerConfig, DriverFactories, DriverFactory } from "@prism/consumer-core";

type Slot = "messageSource" | "stateStore" | "deadLetterQueue";

/**
 * Remembers the drivers `createConsumer` creates, so `run` can use the same instances (the lag, the stored
 * checkpoint, the dead-letter queue) without connecting again. `createConsumer` calls a factory once for
 * slots naming the same driver with the same settings; `forSlot` finds that shared instance too.
 */
export class CreatedDrivers {
  private readonly created: Array<{ driver: string; settings: string; instance: unknown }> = [];

  /** The factories, each recording what it created. */
  wrap(factories: DriverFactories): DriverFactories {
    const wrapped: Record<string, DriverFactory> = {};
    for (const [name, factory] of Object.entries(factories)) {
      wrapped[name] = async (config, context) => {
        const instance = await factory(config, context);
        this.created.push({ driver: name, settings: stableJson(config), instance });
        return instance;
      };
    }
    return wrapped;
  }

  /** The driver instance bound to `slot`, or `undefined` when the slot is not configured. */
  forSlot(config: ConsumerConfig, slot: Slot): unknown {
    const binding = config.slots[slot];
    if (!binding) return undefined;
    const settings = stableJson(binding.config ?? {});
    return this.created.find((entry) => entry.driver === binding.driver && entry.settings === settings)
      ?.instance;
  }
}

/** JSON with object keys sorted, so equal settings compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
