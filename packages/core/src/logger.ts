/** Where the consumer reports what it does; fields are plain data, never secrets. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const ignore = () => {};

/** Warnings and errors to the console; debug and info are dropped. The default. */
export const consoleLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: (message, fields) => console.warn(`[prism] ${message}`, ...(fields ? [fields] : [])),
  error: (message, fields) => console.error(`[prism] ${message}`, ...(fields ? [fields] : [])),
};

/** Reports nothing, e.g. for tests or when health() is polled instead. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/**
 * `nats://user:secret@host:4222` → `nats://user:***@host:4222`; a lone user part (often a token) becomes
 * `***` too. For URLs in logs and errors: credentials are never printed.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    else if (parsed.username) parsed.username = "***";
    return parsed.href;
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}
