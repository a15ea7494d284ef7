import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { isIP } from "node:net";
import { type ConsoleActions, tokenHeader } from "./api-types.js";

/**
 * Who may change data through the console (replay, purge), and which requests are the page's own:
 *
 * | listening on | token set | replay and purge |
 * | --- | --- | --- |
 * | loopback | no | allowed (whoever reaches a loopback port can run `prism-consumer dlq` as well) |
 * | loopback | yes | with the token |
 * | beyond loopback | yes | with the token |
 * | beyond loopback | no | refused: read-only |
 *
 * Every mutating request must also be same-origin (`Origin`, `Sec-Fetch-Site`) and JSON (a cross-site
 * form cannot send it without a preflight, which is never granted); the token travels in a header, never
 * a cookie, so a browser never adds it by itself. On loopback, the `Host` header must name loopback too,
 * so a page on another site cannot reach the console by pointing its own name at 127.0.0.1.
 */
export interface AccessPolicy {
  /** The server listens on loopback only. */
  readonly loopback: boolean;
  /** The token replay and purge need, from `--console-token` or `PRISM_CONSOLE_TOKEN`. */
  readonly token: string | undefined;
}

/** A request refused: the status and a sentence saying what to do. */
export interface Refusal {
  readonly status: 401 | 403 | 415 | 421;
  readonly error: string;
}

/** The shortest token accepted: long enough that guessing it over HTTP is hopeless. */
export const minimumTokenLength = 16;

/** Whether `host` (as given to `--http`) is a loopback address or name. */
export function isLoopback(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  if (isIP(name) === 6) return name === "::1" || /^::ffff:127\./.test(name);
  return false;
}

/** What the page tells the operator about replay and purge. */
export function consoleActions(policy: AccessPolicy): ConsoleActions {
  if (policy.token !== undefined)
    return { mode: "token", reason: "this server was started with a console token" };
  if (policy.loopback)
    return { mode: "open", reason: "listening on loopback only and no console token is set" };
  return {
    mode: "read-only",
    reason:
      "read-only: this server listens beyond loopback and was started without a console token " +
      "(--console-token or PRISM_CONSOLE_TOKEN)",
  };
}

/**
 * Why a request may not read the console (its page and API), or `undefined`: on loopback, its `Host`
 * must be a loopback name (DNS rebinding).
 */
export function refuseRead(policy: AccessPolicy, headers: IncomingHttpHeaders): Refusal | undefined {
  if (!policy.loopback) return undefined;
  const host = hostName(headers.host);
  if (host !== undefined && isLoopback(host)) return undefined;
  return {
    status: 421,
    error: `this console listens on loopback and answers only to a loopback Host (got ${JSON.stringify(headers.host ?? "")})`,
  };
}

/** Why a replay or purge request is refused, or `undefined` when it may go ahead. */
export function refuseMutation(policy: AccessPolicy, headers: IncomingHttpHeaders): Refusal | undefined {
  const read = refuseRead(policy, headers);
  if (read) return read;
  const site = headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none")
    return { status: 403, error: `cross-site request refused (Sec-Fetch-Site: ${site})` };
  const origin = headers.origin;
  if (origin !== undefined && !sameOrigin(origin, headers.host))
    return { status: 403, error: `cross-origin request refused (Origin: ${origin})` };
  const type = headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") return { status: 415, error: "send the request body as application/json" };
  const actions = consoleActions(policy);
  if (actions.mode === "read-only") return { status: 403, error: actions.reason };
  if (policy.token === undefined) return undefined;
  const given = headers[tokenHeader];
  if (typeof given !== "string" || given === "")
    return { status: 401, error: `the console token is required (header ${tokenHeader})` };
  if (!tokensEqual(given, policy.token)) return { status: 401, error: "the console token is wrong" };
  return undefined;
}

function tokensEqual(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    const parsed = new URL(origin);
    return (
      parsed.protocol === "http:" && host !== undefined && parsed.host === new URL(`http://${host}`).host
    );
  } catch {
    return false;
  }
}
