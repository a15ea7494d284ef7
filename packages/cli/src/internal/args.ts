import { parseArgs } from "node:util";

/** A usage problem: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean }>;
type Values = Record<string, string | boolean | string[] | undefined>;

/** Parses `argv` against `options`; unknown options and missing values are usage errors. */
export function parse<T extends OptionSpec>(
  argv: readonly string[],
  options: T,
): {
  values: ReturnType<
    typeof parseArgs<{ options: T & { help: { type: "boolean" } }; allowPositionals: true; strict: true }>
  >["values"] &
    Values;
  positionals: string[];
} {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...options, help: { type: "boolean" as const } },
      allowPositionals: true,
      strict: true,
    }) as never;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * `:9464`, `9464` or `127.0.0.1:9464` as host and port. Without a host it is loopback (`127.0.0.1`):
 * listening beyond it takes an explicit `0.0.0.0:9464` (or an interface's address).
 */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:(.*):)?(\d+)$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(
      `--http ${JSON.stringify(text)}: expected [host]:port, e.g. :9464 or 127.0.0.1:9464`,
    );
  }
  const host = match[1] ? match[1].replace(/^\[|\]$/g, "") : "127.0.0.1";
  return { host, port };
}
