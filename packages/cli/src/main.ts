import { ConfigError, describeError } from "@prism/consumer-core";
import { dlq } from "./commands/dlq.js";
import { type Io, processIo } from "./commands/io.js";
import { run } from "./commands/run.js";
import { validate } from "./commands/validate.js";
import { help } from "./help.js";
import { UsageError } from "./internal/args.js";

const commands = { run, validate, dlq } as const;

/**
 * The `prism-consumer` command line: runs `argv` (without node and the script) and resolves with the exit
 * code — 0 done, 1 failed, 2 invalid configuration or usage.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help")
    return io.print(help.main, name ? 0 : 2);
  const command = commands[name as keyof typeof commands];
  if (!command) return io.print(`unknown command ${JSON.stringify(name)}\n\n${help.main}`, 2, "stderr");
  try {
    return await command(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      return io.print(`${error.message}\n\n${help[name as keyof typeof help]}`, 2, "stderr");
    }
    if (error instanceof ConfigError) {
      return io.print(error.message, 2, "stderr");
    }
    return io.print(`prism-consumer ${name}: ${describeError(error)}`, 1, "stderr");
  }
}
