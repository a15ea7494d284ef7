import type { Server } from "node:http";
import {
  type Consumer,
  createConsumer,
  type DriverFactories,
  type DriverFactory,
  describeError,
  type Logger,
  loadConfigFile,
  parseDuration,
} from "@prism/consumer-core";
import { isLagReporting } from "@prism/consumer-core/driver";
import { meterConsumer, traceConsumer } from "@prism/opentelemetry";
import { loadDriverFactories } from "../driver-packages.js";
import { help } from "../help.js";
import { serveEndpoints } from "../http-endpoints.js";
import { parse, parseListen, UsageError } from "../internal/args.js";
import { configIssues } from "../internal/config-issues.js";
import { jsonLogger, StatusTerminal } from "../internal/terminal.js";
import { messagingSystem } from "../messaging-system.js";
import { type BatchHandler, loadProcessor, type MessageHandler } from "../processor-module.js";
import { prometheusMetrics } from "../prometheus-metrics.js";
import { StatusLine } from "../status-line.js";
import type { Io } from "./io.js";

/** `prism-consumer run`: resolves when the consumer has stopped, with the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    processor: { type: "string" },
    http: { type: "string" },
    "lag-interval": { type: "string" },
  });
  if (values.help) return io.print(help.run, 0);
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0)
    throw new UsageError("expected one config file: run <consumer.yaml> --processor <file>");
  if (!values.processor) throw new UsageError("--processor <handler module> is required");
  const listen = values.http === undefined ? undefined : parseListen(values.http);
  const lagIntervalMs = values["lag-interval"] === undefined ? 5000 : durationOption(values["lag-interval"]);

  const config = await loadConfigFile(file);
  const { factories, issues } = await loadDriverFactories(config, file);
  if (issues.length > 0) return io.print(configIssues(file, issues), 2, "stderr");
  const processor = await loadProcessor(values.processor);

  const terminal = io.stderr.isTTY ? new StatusTerminal(io.stderr) : undefined;
  const logger: Logger = terminal?.logger ?? jsonLogger(io.stdout);
  const created: { messageSource?: unknown } = {};
  const drivers = capturing(factories, created);
  const consumer = (await createConsumer(config, { drivers, logger })) as Consumer<unknown>;
  if ((config.behavior.batchSize ?? 0) > 0) consumer.setBatchProcessor(processor as BatchHandler);
  else consumer.setProcessor(processor as MessageHandler);

  const system = messagingSystem(config.slots.messageSource.driver);
  traceConsumer(consumer, { system });
  const metrics = listen ? prometheusMetrics() : undefined;
  const source = created.messageSource;
  const stopMetering = metrics
    ? meterConsumer(consumer, { meterProvider: metrics.meterProvider, source, system, lagIntervalMs, logger })
    : undefined;

  let server: Server | undefined;
  if (listen && metrics) {
    server = await serveEndpoints(
      { health: () => consumer.health(), metrics: metrics.handle },
      listen.host,
      listen.port,
    );
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : listen.port;
    logger.info("serving /healthz, /readyz and /metrics", { port });
  }

  const status = terminal
    ? new StatusLine(consumer, isLagReporting(source) ? source : undefined, (line) => terminal.show(line))
    : undefined;
  // Wrappers (npm, pnpm, a shell) often pass one Ctrl-C on as SIGINT and SIGTERM at once: only a second
  // signal a second or more after the first means "exit now".
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined && Date.now() - firstSignalAt < 1000) return;
    if (firstSignalAt !== undefined) {
      logger.warn(`${signal} again: exiting without waiting`, {});
      process.exit(130);
    }
    firstSignalAt = Date.now();
    logger.info(`${signal}: stopping (finishing in-flight work, committing)`, {});
    void consumer.stop().catch((error) => logger.error("stop failed", { error: describeError(error) }));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await consumer.start();
    logger.info("consuming", {
      name: config.name,
      topic: config.behavior.topic,
      group: config.behavior.consumerGroup,
    });
    status?.start();
    const failure = await consumer.closed();
    if (failure) logger.error("consumer failed", { error: describeError(failure) });
    else logger.info("stopped", { counters: consumer.health().counters });
    return failure ? 1 : 0;
  } finally {
    status?.stop();
    terminal?.end();
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    stopMetering?.();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await metrics?.shutdown();
  }
}

/** The factories, each recording the driver it created for the message source. */
function capturing(factories: DriverFactories, created: { messageSource?: unknown }): DriverFactories {
  const wrapped: Record<string, DriverFactory> = {};
  for (const [name, factory] of Object.entries(factories)) {
    wrapped[name] = async (config, context) => {
      const driver = await factory(config, context);
      if (context.slot === "messageSource") created.messageSource = driver;
      return driver;
    };
  }
  return wrapped;
}

function durationOption(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`--lag-interval ${JSON.stringify(text)}: expected a duration like 5s or 500ms`);
  }
  return ms;
}
