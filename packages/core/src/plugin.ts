import type { ConsumerConfig } from "./config.js";
import { loadConfigFile } from "./config-yaml.js";
import type { Consumer } from "./consumer.js";
import { type CreateConsumerOptions, createConsumer, type DriverFactories } from "./drivers.js";
import type { Duration } from "./duration.js";
import { PrismError, PrismErrorCode } from "./errors.js";
import type { ConsumerHealth } from "./health.js";
import type { Logger } from "./logger.js";
import type { BatchProcessor, MessageProcessor } from "./processor.js";
import type { ConsumerState } from "./state.js";

/** What a plugin brings: its drivers, and defaults it applies to a configuration. */
export interface PluginDefinition {
  readonly drivers: DriverFactories;
  /** Fills in what the plugin's backends need by default (e.g. Kafka as a queue); must not override. */
  readonly applyDefaults?: (config: ConsumerConfig) => ConsumerConfig;
}

export interface PluginOptions {
  /** More drivers (or replacements), e.g. `{ postgres: postgresDriver }` for a PostgreSQL DLQ. */
  readonly drivers?: DriverFactories;
  readonly logger?: Logger;
  /** Variables for `${NAME}` when the config is a YAML path. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The seed's plugin lifecycle over a configuration: `initialize()` loads the config (object or YAML
 * path), creates the drivers it names from the plugin's driver map and binds them to the slots; then
 * `setProcessor()`, `start()`, `stop()`. Plugins are this class with their drivers filled in.
 */
export class ConsumerPlugin {
  private consumer: Consumer | undefined;
  private processor: { batch: false; fn: MessageProcessor } | { batch: true; fn: BatchProcessor } | undefined;

  constructor(
    private readonly config: ConsumerConfig | string,
    private readonly definition: PluginDefinition,
    private readonly options: PluginOptions = {},
  ) {}

  /** Loads the config and connects the drivers; fails fast (and consumes nothing) on any problem. */
  async initialize(): Promise<this> {
    if (this.consumer) return this;
    const loaded =
      typeof this.config === "string"
        ? await loadConfigFile(this.config, this.options.env ? { env: this.options.env } : {})
        : this.config;
    const config = this.definition.applyDefaults?.(loaded) ?? loaded;
    const createOptions: CreateConsumerOptions = {
      drivers: { ...this.definition.drivers, ...this.options.drivers },
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    };
    this.consumer = await createConsumer(config, createOptions);
    if (this.processor?.batch === true) this.consumer.setBatchProcessor(this.processor.fn);
    else if (this.processor) this.consumer.setProcessor(this.processor.fn);
    return this;
  }

  setProcessor(processor: MessageProcessor): this {
    this.processor = { batch: false, fn: processor };
    this.consumer?.setProcessor(processor);
    return this;
  }

  setBatchProcessor(processor: BatchProcessor): this {
    this.processor = { batch: true, fn: processor };
    this.consumer?.setBatchProcessor(processor);
    return this;
  }

  /** Starts consuming (initializing first if needed). */
  async start(): Promise<void> {
    await this.initialize();
    await this.bound().start();
  }

  /** Stops gracefully and closes the drivers. */
  async stop(options: { timeout?: Duration } = {}): Promise<void> {
    await this.consumer?.stop(options);
  }

  commit(): Promise<ConsumerState> {
    return this.bound().commit();
  }

  health(): ConsumerHealth | undefined {
    return this.consumer?.health();
  }

  closed(): Promise<Error | undefined> {
    return this.bound().closed();
  }

  /** The consumer behind the plugin, after `initialize()`. */
  get instance(): Consumer {
    return this.bound();
  }

  private bound(): Consumer {
    if (!this.consumer)
      throw new PrismError(PrismErrorCode.Lifecycle, "call initialize() (or start()) first");
    return this.consumer;
  }
}
