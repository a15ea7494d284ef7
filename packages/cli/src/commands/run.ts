import type { Server } from "node:http";
import {
  type Consumer,
  createConsumer,
  describeError,
  type Logger,
  loadConfigFile,
  parseDuration,
} from "@prism/consumer-core";
import { isLagReporting } from "@prism/consumer-core/driver";
import { meterConsumer, traceConsumer } from "@prism/opentelemetry";
import { consoleActions, isLoopback, minimumTokenLength } from "../console/console-access.js";
import { ConsoleAssets } from "../console/console-assets.js";
import { OperatorConsole } from "../console/operator-console.js";
import { loadDriverFactories } from "../driver-packages.js";
import { help } from "../help.js";
import { serveEndpoints } from "../http-endpoints.js";
import { parse, parseListen, UsageError } from "../internal/args.js";
import { configIssues } from "../internal/config-issues.js";
import { CreatedDrivers } from "../internal/created-drivers.js";
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
    "console-token": { type: "string" },
    "no-console": { type: "boolean" },
  });
  if (values.help) return io.print(help.run, 0);
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0)
    throw new UsageError("expected one config file: run <consumer.yaml> --processor <file>");
  if (!values.processor) throw new UsageError("--processor <handler module> is required");
  const listen = values.http === undefined ? undefined : parseListen(values.http);
  const lagIntervalMs = values["lag-interval"] === undefined ? 5000 : durationOption(values["lag-interval"]);
  const consoleOn = listen !== undefined && values["no-console"] !== true;
  const token = consoleToken(values["console-token"], consoleOn);

  const config = await loadConfigFile(file);
  const { factories, issues } = await loadDriverFactories(config, file);
  if (issues.length > 0) return io.print(configIssues(file, issues), 2, "stderr");
  const processor = await loadProcessor(values.processor);
  const assets = consoleOn ? await ConsoleAssets.load() : undefined;

  const terminal = io.stderr.isTTY ? new StatusTerminal(io.stderr) : undefined;
  const logger: Logger = terminal?.logger ?? jsonLogger(io.stdout);
  const created = new CreatedDrivers();
  const consumer = (await createConsumer(config, {
    drivers: created.wrap(factories),
    logger,
  })) as Consumer<unknown>;
  if ((config.behavior.batchSize ?? 0) > 0) consumer.setBatchProcessor(processor as BatchHandler);
  else consumer.setProcessor(processor as MessageHandler);

  const system = messagingSystem(config.slots.messageSource.driver);
  traceConsumer(consumer, { system });
  const metrics = listen ? prometheusMetrics() : undefined;
  const source = created.forSlot(config, "messageSource");
  const stopMetering = metrics
    ? meterConsumer(consumer, { meterProvider: metrics.meterProvider, source, system, lagIntervalMs, logger })
    : undefined;

  let server: Server | undefined;
  let operatorConsole: OperatorConsole | undefined;
  if (listen && metrics) {
    const policy = { loopback: isLoopback(listen.host), token };
    operatorConsole = assets
      ? new OperatorConsole({
          config,
          consumer,
          drivers: {
            messageSource: source,
            stateStore: created.forSlot(config, "stateStore"),
            deadLetterQueue: created.forSlot(config, "deadLetterQueue"),
          },
          policy,
          lagIntervalMs,
          logger,
          assets,
        })
      : undefined;
    server = await serveEndpoints(
      {
        health: () => consumer.health(),
        metrics: metrics.handle,
        ...(operatorConsole && { console: operatorConsole.handle.bind(operatorConsole) }),
      },
      listen.host,
      listen.port,
    );
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : listen.port;
    logger.info("serving /healthz, /readyz and /metrics", { port });
    if (operatorConsole) {
      const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
      const actions = consoleActions(policy);
      logger.info(`operator's console at http://${host}:${port}/`, { port, actions: actions.mode });
      if (actions.mode === "read-only") logger.warn(`console: ${actions.reason}`, {});
      operatorConsole.start();
    }
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
    operatorConsole?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await metrics?.shutdown();
  }
}

/**
 * The console token from `--console-token` or `PRISM_CONSOLE_TOKEN` (the flag wins); at least
 * `minimumTokenLength` characters, and only with the console.
 */
function consoleToken(flag: string | undefined, consoleOn: boolean): string | undefined {
  if (!consoleOn) {
    if (flag !== undefined)
      throw new UsageError("--console-token is for the console: give --http (and not --no-console)");
    return undefined;
  }
  const fromEnvironment = process.env.PRISM_CONSOLE_TOKEN;
  const token = flag ?? (fromEnvironment === "" ? undefined : fromEnvironment);
  if (token === undefined) return undefined;
  if (token.length < minimumTokenLength) {
    const where = flag !== undefined ? "--console-token" : "PRISM_CONSOLE_TOKEN";
    throw new UsageError(
      `${where}: the console token must be at least ${minimumTokenLength} characters (e.g. openssl rand -hex 16)`,
    );
  }
  return token;
}

function durationOption(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`--lag-interval ${JSON.stringify(text)}: expected a duration like 5s or 500ms`);
  }
  return ms;
}
