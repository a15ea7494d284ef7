/** Where the consumer reports what it does; fields are plain data, never secrets. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * A pino or bunyan logger (fields first, then the message: `logger.info({ key }, "text")`), taken as it is:
 * anything with `child()` and pino's `levels` or bunyan's `streams`. For other fields-first loggers, wrap
 * them with `fieldsFirstLogger`.
 */
export interface FieldsFirstLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Adapts a logger that takes fields first (pino, bunyan and alike) to Prism's `Logger`. */
export function fieldsFirstLogger(logger: FieldsFirstLogger): Logger {
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}

/** A `Logger`, or a pino/bunyan logger recognised by its shape and adapted. */
export function toLogger(logger: Logger | FieldsFirstLogger): Logger {
  const shape = logger as unknown as Record<string, unknown>;
  const fieldsFirst = typeof shape.child === "function" && ("levels" in shape || "streams" in shape);
  return fieldsFirst ? fieldsFirstLogger(logger as FieldsFirstLogger) : (logger as Logger);
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
