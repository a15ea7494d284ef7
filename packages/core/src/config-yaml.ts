import { readFile, stat } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import type { ConsumerConfig } from "./config.js";
import { validateConfig } from "./config-validation.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { documentProblems, maxConfigBytes } from "./internal/yaml-document.js";

export interface LoadConfigOptions {
  /** Variables for `${NAME}` substitution. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Shown in errors (a file name). */
  readonly source?: string;
}

/**
 * Parses the seed's YAML format (snake_case keys, durations like "5s") into a checked `ConsumerConfig`.
 * Every string value may use `${NAME}` or `${NAME:-default}` to take environment variables, so secrets
 * stay out of the file; `$${` writes a literal `${`. All problems are reported together, by path; a YAML
 * syntax error by the line and column where the parser stopped. Text over 128 KiB, a key given twice in a
 * mapping, and more than 10,000 keys and values (aliases expanded) are refused, before anything starts.
 */
export function parseConfigYaml(text: string, options: LoadConfigOptions = {}): ConsumerConfig {
  const bytes = Buffer.byteLength(text);
  if (bytes > maxConfigBytes) throw tooLarge(bytes, options.source);
  const lines = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: false, lineCounter: lines });
  const [syntaxError] = document.errors;
  if (syntaxError) {
    // The first error only: the parser's later ones follow from it.
    const { line, col } = lines.linePos(syntaxError.pos[0]);
    const issue = { path: `line ${line}, column ${col}`, message: syntaxError.message };
    throw new ConfigError([issue], options.source);
  }
  const shapeIssues = documentProblems(document, lines);
  if (shapeIssues.length > 0) throw new ConfigError(shapeIssues, options.source);
  const issues: ConfigIssue[] = [];
  // Aliases are already bounded by `documentProblems`, so yaml's own (coarser) alias limit is not needed.
  const values = document.toJS({ maxAliasCount: -1 });
  const substituted = substitute(values, "", options.env ?? process.env, issues);
  if (issues.length > 0) throw new ConfigError(issues, options.source);
  return validateConfig(substituted, "snake", options.source);
}

/** Reads and parses a YAML config file; see `parseConfigYaml`. */
export async function loadConfigFile(path: string, options: LoadConfigOptions = {}): Promise<ConsumerConfig> {
  let text: string;
  try {
    // A huge file (a wrong path, a log) is refused without reading it.
    const { size } = await stat(path);
    if (size > maxConfigBytes) throw tooLarge(size, path);
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(error);
    throw new ConfigError([{ path: "(file)", message: reason }], path);
  }
  return parseConfigYaml(text, { ...options, source: options.source ?? path });
}

function tooLarge(bytes: number, source: string | undefined): ConfigError {
  const size = `${(bytes / 1024).toFixed(0)} KiB`;
  const message = `${size} is more than a consumer configuration may be (${maxConfigBytes / 1024} KiB): is it the right file?`;
  return new ConfigError([{ path: "(file)", message }], source);
}

const wholeReference = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;
const typed = /^(?:true|false|-?\d+(?:\.\d+)?)$/;
const variable = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function substitute(
  value: unknown,
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  issues: ConfigIssue[],
): unknown {
  if (typeof value === "string") {
    const whole = wholeReference.exec(value);
    if (whole && path.startsWith("behavior.")) {
      // `max_retries: ${RETRIES}` must read as the number YAML would have given, not as text.
      const found = env[whole[1] as string] || whole[2];
      if (found !== undefined && typed.test(found))
        return found === "true" || found === "false" ? found === "true" : Number(found);
    }
    return value.replace(variable, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === "$${") return "${";
      const found = env[name as string];
      if (found !== undefined && found !== "") return found;
      if (fallback !== undefined) return fallback;
      issues.push({ path: path || "(root)", message: `environment variable ${name} is not set` });
      return match;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substitute(item, `${path}[${i}]`, env, issues));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = substitute(item, path ? `${path}.${key}` : key, env, issues);
    }
    return out;
  }
  return value;
}
