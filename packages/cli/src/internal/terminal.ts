import type { Logger } from "@prism/consumer-core";

type Fields = Record<string, unknown> | undefined;

/** Structured logs: one JSON object per line on `out` (`time`, `level`, `msg`, then the fields). */
export function jsonLogger(out: NodeJS.WritableStream): Logger {
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    out.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
  return { debug: () => {}, info: write("info"), warn: write("warn"), error: write("error") };
}

/**
 * A terminal: log lines as text, and one status line kept at the bottom (rewritten in place). Logs go
 * above it, so it never scrolls away.
 */
export class StatusTerminal {
  private status = "";

  constructor(private readonly out: NodeJS.WriteStream) {}

  readonly logger: Logger = {
    debug: () => {},
    info: (msg, fields) => this.line("", msg, fields),
    warn: (msg, fields) => this.line("warning: ", msg, fields),
    error: (msg, fields) => this.line("error: ", msg, fields),
  };

  /** Replaces the status line. */
  show(status: string): void {
    this.status =
      status.length > (this.out.columns ?? 120)
        ? `${status.slice(0, (this.out.columns ?? 120) - 1)}…`
        : status;
    this.out.write(`\r\x1b[2K${this.status}`);
  }

  /** Leaves the status line as it is and moves below it. */
  end(): void {
    if (this.status) this.out.write("\n");
    this.status = "";
  }

  private line(prefix: string, msg: string, fields: Fields): void {
    const extra = fields && Object.keys(fields).length > 0 ? ` ${formatFields(fields)}` : "";
    this.out.write(`\r\x1b[2K${prefix}${msg}${extra}\n${this.status}`);
  }
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}
