import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type {
  ConfigIssue,
  ConsumerConfig,
  DriverFactories,
  DriverFactory,
  SlotBinding,
} from "@prism/consumer-core";

/**
 * The package a slot's driver comes from: `slots.*.package` when given (an npm package name, or a path
 * relative to the config file), otherwise `@prism/driver-{driver}`.
 */
export function driverPackage(binding: SlotBinding): string {
  return binding.package ?? `@prism/driver-${binding.driver}`;
}

/**
 * The export that is the driver's factory: `{driver}Driver` with the driver name in camelCase
 * (`nats` → `natsDriver`, `my-db` → `myDbDriver`); a package without it may export the factory as default.
 */
export function factoryExport(driver: string): string {
  const camel = driver.replace(/[-_.\s]+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
  return `${camel.charAt(0).toLowerCase()}${camel.slice(1)}Driver`;
}

const slotPaths = {
  messageSource: "slots.message_source",
  stateStore: "slots.state_store",
  deadLetterQueue: "slots.dead_letter_queue",
} as const;

/**
 * Imports the factory of every driver the config names, explicitly — a module is imported only because
 * the config names it, and nothing registers itself. Resolution starts at the config file's directory,
 * then the working directory, then this CLI's own installation. Problems are returned by path.
 */
export async function loadDriverFactories(
  config: ConsumerConfig,
  configFile: string,
): Promise<{ factories: DriverFactories; issues: ConfigIssue[] }> {
  const factories: Record<string, DriverFactory> = {};
  const issues: ConfigIssue[] = [];
  for (const [slot, binding] of Object.entries(config.slots) as [keyof typeof slotPaths, SlotBinding][]) {
    if (!binding || Object.hasOwn(factories, binding.driver)) continue;
    const where = `${slotPaths[slot]}.${binding.package ? "package" : "driver"}`;
    const name = driverPackage(binding);
    let module: Record<string, unknown>;
    try {
      module = await importPackage(name, path.dirname(path.resolve(configFile)));
    } catch (error) {
      issues.push({
        path: where,
        message: `cannot load ${JSON.stringify(name)}: ${(error as Error).message}`,
      });
      continue;
    }
    const exportName = factoryExport(binding.driver);
    const fallback = module.default as
      | Record<string, unknown>
      | ((...args: unknown[]) => unknown)
      | undefined;
    const factory =
      module[exportName] ??
      (typeof fallback === "function"
        ? fallback
        : (fallback as Record<string, unknown> | undefined)?.[exportName]);
    if (typeof factory !== "function") {
      issues.push({
        path: where,
        message: `${JSON.stringify(name)} exports no driver factory: expected an export named ${exportName} (or a default export function)`,
      });
      continue;
    }
    factories[binding.driver] = factory as DriverFactory;
  }
  return { factories, issues };
}

async function importPackage(name: string, configDir: string): Promise<Record<string, unknown>> {
  if (name.startsWith(".") || path.isAbsolute(name)) {
    return import(pathToFileURL(path.resolve(configDir, name)).href);
  }
  for (const base of [configDir, process.cwd()]) {
    const dir = findPackageDir(name, base);
    if (dir) return import(pathToFileURL(path.join(dir, entryOf(dir))).href);
  }
  try {
    return await import(name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new Error(`not installed (npm i ${name})`);
    }
    throw error;
  }
}

/** `node_modules/{name}` in `from` or a directory above it. */
function findPackageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(path.join(candidate, "package.json"))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The ES module entry of a package: `exports["."]` (its `import` condition), else `module`, else `main`. */
function entryOf(dir: string): string {
  const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  let entry: unknown = manifest.exports;
  if (entry && typeof entry === "object" && "." in entry) entry = (entry as Record<string, unknown>)["."];
  while (entry && typeof entry === "object" && !Array.isArray(entry)) {
    const conditions = entry as Record<string, unknown>;
    entry = conditions.import ?? conditions.node ?? conditions.default ?? conditions.require;
  }
  if (typeof entry === "string") return entry;
  return String(manifest.module ?? manifest.main ?? "index.js");
}
