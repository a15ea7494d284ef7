import { isNetworkError, isPrismError, PrismError, PrismErrorCode } from "@prism/consumer-core/driver";

/**
 * SQLSTATE classes and codes where trying again can succeed: the connection dropped (08), the server is
 * shutting down or starting (57P01–57P03), it is out of resources (53), a transaction lost a race (40001,
 * 40P01), a lock or statement timed out (55P03, 57014), or an I/O error (58).
 */
const retryableClasses = ["08", "53", "58"];
const retryableCodes = ["57P01", "57P02", "57P03", "40001", "40P01", "55P03", "57014"];

/** Errors node-postgres raises itself (no code) when a connection is lost or cannot be made in time. */
const lostConnection =
  /connection terminated|not queryable|timeout expired|timeout exceeded when trying to connect|query read timeout/i;

/** What failed and against which server (never with credentials), e.g. `enqueue on 127.0.0.1:5432/test`. */
export interface ErrorContext {
  readonly operation: string;
  readonly target: string;
}

/**
 * Turns whatever node-postgres threw into a `PrismError`: `BACKEND_UNAVAILABLE` (retryable) when the
 * server could not be reached or went away, `BACKEND_REJECTED` (not retryable) when it refused the work
 * (authentication, missing database, permissions, bad SQL or data). `PrismError`s pass through.
 */
export function mapPostgresError(error: unknown, context: ErrorContext): PrismError {
  if (isPrismError(error)) return error;
  const { code, message } = summarize(error);
  const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const where = `postgres ${context.operation} on ${context.target}`;
  const detail = `${message}${code ? ` (${sqlState ? "SQLSTATE " : ""}${code})` : ""}`;
  if (isUnavailable(error, sqlState, message)) {
    return new PrismError(
      PrismErrorCode.BackendUnavailable,
      `${where} failed: the server is unavailable: ${detail}; retrying may succeed`,
      { cause: error, retryable: true },
    );
  }
  return new PrismError(PrismErrorCode.BackendRejected, `${where} was rejected: ${detail}${hint(sqlState)}`, {
    cause: error,
    retryable: false,
  });
}

function isUnavailable(error: unknown, sqlState: string | undefined, message: string): boolean {
  if (sqlState !== undefined) {
    return retryableClasses.includes(sqlState.slice(0, 2)) || retryableCodes.includes(sqlState);
  }
  if (isNetworkError(error)) return true;
  return lostConnection.test(message);
}

/** What to do about the rejections people meet most. */
function hint(sqlState: string | undefined): string {
  if (sqlState === undefined) return "";
  if (sqlState.startsWith("28")) return "; check the user and password (and pg_hba.conf)";
  if (sqlState === "3D000") return "; create the database or fix the database setting";
  if (sqlState === "42501") return "; grant the role the privileges it needs on the schema and tables";
  return "";
}

function summarize(error: unknown): { code: string | undefined; message: string } {
  if (typeof error === "object" && error !== null) {
    const record = error as { code?: unknown; message?: unknown; errors?: unknown };
    const code = typeof record.code === "string" ? record.code : undefined;
    let message = typeof record.message === "string" ? record.message : "";
    // Node's AggregateError (IPv4 and IPv6 both refused) has an empty message; its parts say what happened.
    if (message === "" && Array.isArray(record.errors)) {
      message = record.errors.map((part) => summarize(part).message).join("; ");
    }
    return { code, message: message || String(error) };
  }
  return { code: undefined, message: String(error) };
}
