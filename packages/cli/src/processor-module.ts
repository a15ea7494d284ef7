import path from "node:path";
import { pathToFileURL } from "node:url";
import type { BatchProcessor, MessageProcessor } from "@prism/consumer-core";

export type MessageHandler = MessageProcessor<unknown>;
export type BatchHandler = BatchProcessor<unknown>;
/** A handler module's default export: `(message, delivery)`, or `(messages, delivery)` with batches. */
export type HandlerFunction = MessageHandler | BatchHandler;

/** Imports the module at `file` (relative to the working directory; ESM or CommonJS) and returns its default export. */
export async function loadProcessor(file: string): Promise<HandlerFunction> {
  const url = pathToFileURL(path.resolve(file)).href;
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ERR_MODULE_NOT_FOUND" ? "file not found" : (error as Error).message;
    throw new Error(`--processor ${file}: ${reason}`);
  }
  // CommonJS `module.exports = fn` arrives as `default`; `exports.default = fn` (TypeScript's CJS) one level down.
  let handler = module.default;
  if (
    handler &&
    typeof handler === "object" &&
    typeof (handler as { default?: unknown }).default === "function"
  ) {
    handler = (handler as { default: unknown }).default;
  }
  if (typeof handler !== "function") {
    throw new Error(
      `--processor ${file}: the module has no default export function (export default async (message) => { … })`,
    );
  }
  return handler as HandlerFunction;
}
