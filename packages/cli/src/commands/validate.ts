import { loadConfigFile } from "@prism/consumer-core";
import { driverPackage, loadDriverFactories } from "../driver-packages.js";
import { help } from "../help.js";
import { parse, UsageError } from "../internal/args.js";
import { configIssues } from "../internal/config-issues.js";
import type { Io } from "./io.js";

/** `prism-consumer validate <consumer.yaml>`: 0 when valid, 2 with every problem by path. */
export async function validate(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {});
  if (values.help) return io.print(help.validate, 0);
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) throw new UsageError("expected one config file: validate <consumer.yaml>");
  const config = await loadConfigFile(file); // a ConfigError lists every problem (main prints it, exit 2)
  const { issues } = await loadDriverFactories(config, file);
  if (issues.length > 0) return io.print(configIssues(file, issues), 2, "stderr");
  const slots = Object.values(config.slots).map((binding) => `${binding.driver} (${driverPackage(binding)})`);
  return io.print(
    `${file}: valid — "${config.name}" consumes "${config.behavior.topic}"; drivers ${slots.join(", ")}`,
    0,
  );
}
