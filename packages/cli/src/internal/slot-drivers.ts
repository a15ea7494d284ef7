import type { ConsumerConfig, DriverFactories, Logger, SlotBinding } from "@prism/consumer-core";
import { isClosable } from "@prism/consumer-core/driver";

type Slot = "messageSource" | "stateStore" | "deadLetterQueue";
const slotPaths = {
  messageSource: "slots.message_source",
  stateStore: "slots.state_store",
  deadLetterQueue: "slots.dead_letter_queue",
} as const;

/**
 * Creates the drivers of single slots on demand (for the `dlq` commands, which need no consumer): one
 * instance for slots that name the same driver with the same settings, as `createConsumer` does.
 */
export class SlotDrivers {
  private readonly created = new Map<string, unknown>();

  constructor(
    private readonly config: ConsumerConfig,
    private readonly factories: DriverFactories,
    private readonly logger: Logger,
  ) {}

  async driver(slot: Slot): Promise<unknown> {
    const binding = this.config.slots[slot] as SlotBinding;
    const identity = `${binding.driver}\u0000${JSON.stringify(binding.config ?? {})}`;
    if (!this.created.has(identity)) {
      const factory = this.factories[binding.driver];
      if (!factory) throw new Error(`${slotPaths[slot]}.driver: no factory for "${binding.driver}"`);
      const context = { slot, path: `${slotPaths[slot]}.config`, logger: this.logger };
      this.created.set(identity, await factory(binding.config ?? {}, context));
    }
    return this.created.get(identity);
  }

  async close(): Promise<void> {
    for (const driver of this.created.values()) if (isClosable(driver)) await driver.close().catch(() => {});
  }
}
