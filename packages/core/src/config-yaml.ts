import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import type { ConsumerConfig } from "./config.js";
import { validateConfig } from "./config-validation.js";
import { ConfigError, type ConfigIssue } from "./errors.js";

export interface LoadConfigOptions {
  /** Variables for `${NAME}` substitution. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Shown in errors (a file name). */
  readonly source?: string;
}

/**
 * Parses the seed's YAML format (snake_case keys, durations like "5s") into a checked `ConsumerConfig`.
 * Every string value may use `${NAME}` or `${NAME:-default}` to take environment variables, so secrets
 * stay out of the file; `$${` writes a literal `${`. All problems are reported together, by path.
 */
export function parseConfigYaml(text: string, options: LoadConfigOptions = {}): ConsumerConfig {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => ({
      path: error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : "(yaml)",
      message: error.message.split("\n")[0] ?? error.message,
    }));
    throw new ConfigError(issues, options.source);
  }
  const issues: ConfigIssue[] = [];
  const substituted = substitute(document.toJS(), "", options.env ?? process.env, issues);
  if (issues.length > 0) throw new ConfigError(issues, options.source);
  return validateConfig(substituted, "snake", options.source);
}

/** Reads and parses a YAML config file; see `parseConfigYaml`. */
export async function loadConfigFile(path: string, options: LoadConfigOptions = {}): Promise<ConsumerConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(error);
    throw new ConfigError([{ path: "(file)", message: reason }], path);
  }
  return parseConfigYaml(text, { ...options, source: options.source ?? path });
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
