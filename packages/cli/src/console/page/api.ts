// The console's JSON API from the page: same-origin fetches; replay and purge carry the token (typed by
// the operator, kept in this page's memory only) in a header, never in a cookie.
import {
  type ApiError,
  type ConsoleStatus,
  type DeadLetterPage,
  type DeadLetterSelection,
  type PurgeResponse,
  type ReplayResponse,
  tokenHeader,
} from "../api-types.js";

export type Answer<T> =
  | { readonly ok: true; readonly body: T }
  | { readonly ok: false; readonly status: number; readonly error: string };

let token = "";

export function setToken(value: string): void {
  token = value.trim();
}

export function getStatus(): Promise<Answer<ConsoleStatus>> {
  return call<ConsoleStatus>("api/status");
}

export function getDeadLetters(errorText: string, limit = 200): Promise<Answer<DeadLetterPage>> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (errorText) query.set("error", errorText);
  return call<DeadLetterPage>(`api/dlq?${query}`);
}

export function replay(selection: DeadLetterSelection): Promise<Answer<ReplayResponse>> {
  return call<ReplayResponse>("api/dlq/replay", selection);
}

export function purge(selection: DeadLetterSelection): Promise<Answer<PurgeResponse>> {
  return call<PurgeResponse>("api/dlq/purge", selection);
}

async function call<T>(path: string, body?: DeadLetterSelection): Promise<Answer<T>> {
  const init: RequestInit = body
    ? {
        method: "POST",
        headers: { "content-type": "application/json", ...(token && { [tokenHeader]: token }) },
        body: JSON.stringify(body),
      }
    : { headers: { accept: "application/json" } };
  let response: Response;
  try {
    response = await fetch(path, { ...init, credentials: "omit", cache: "no-store" });
  } catch (error) {
    return { ok: false, status: 0, error: `the console does not answer (${(error as Error).message})` };
  }
  const parsed = (await response.json().catch(() => undefined)) as T | ApiError | undefined;
  if (response.ok && parsed !== undefined) return { ok: true, body: parsed as T };
  const message =
    parsed && typeof parsed === "object" && "error" in parsed ? parsed.error : response.statusText;
  return { ok: false, status: response.status, error: message };
}
