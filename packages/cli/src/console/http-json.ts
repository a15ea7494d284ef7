import type { IncomingMessage, ServerResponse } from "node:http";

/** The largest request body the console reads: a selection of ids, not a payload. */
const maxBodyBytes = 256 * 1024;

/** A request whose body is not what the API takes: answered 400 (or 413) with the message. */
export class BadRequest extends Error {
  override readonly name = "BadRequest";
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}

/** The request body parsed as JSON; `BadRequest` when it is too large or not JSON. */
export async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new BadRequest(`request body over ${maxBodyBytes} bytes`, 413);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return text === "" ? {} : JSON.parse(text);
  } catch {
    throw new BadRequest("the request body is not JSON");
  }
}

/** Writes `body` as JSON, never cached (it is live state, and may hold payloads). */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  response.end(`${JSON.stringify(body)}\n`);
}
