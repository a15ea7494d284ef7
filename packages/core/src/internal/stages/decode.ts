import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { ValidationIssue } from "../../dead-letter.js";
import { describeError } from "../../errors.js";
import type { Message } from "../../message.js";
import type { Middleware } from "../../middleware.js";
import type { DecodedMessage, PayloadDecoding } from "../../payload.js";
import { isPromiseLike } from "../async.js";
import { InvalidPayload } from "../outcomes.js";
import { withMessages } from "../pipeline-delivery.js";
import type { GiveUp } from "./dead-letter.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

type Decoded = DecodedMessage<unknown> | InvalidPayload;

/**
 * Typed payloads: each message's payload is decoded (JSON by default) and, with a schema, validated; the
 * result is `message.data` for the stages inside. A message that does not decode or validate is given up
 * at once (dead-lettered, with the issues) — in a batch, alone — and the rest go on.
 */
export function decode(decoding: PayloadDecoding, giveUp: GiveUp): Middleware {
  const parse = parser(decoding.format);
  const schema = decoding.schema;
  const decodeOne = (message: Message): Decoded | Promise<Decoded> => {
    let value: unknown;
    try {
      value = parse(message.payload, message);
    } catch (error) {
      return new InvalidPayload(`payload could not be decoded: ${describeError(error)}`, [
        { message: describeError(error) },
      ]);
    }
    if (!schema) return { ...message, data: value };
    const result = schema["~standard"].validate(value);
    return isPromiseLike(result) ? result.then((r) => validated(message, r)) : validated(message, result);
  };
  return (next) => (delivery) => {
    const originals = delivery.messages;
    const decoded = originals.map(decodeOne);
    const proceed = async (results: Decoded[]): Promise<void> => {
      const valid: Message[] = [];
      for (const [index, result] of results.entries()) {
        if (result instanceof InvalidPayload) await giveUp([originals[index] as Message], result);
        else valid.push(result);
      }
      if (valid.length > 0) await next(withMessages(delivery, valid));
    };
    if (decoded.some(isPromiseLike)) return Promise.all(decoded).then(proceed);
    const results = decoded as Decoded[];
    // The common case, every payload valid: no promise of this stage's own.
    if (results.every((r) => !(r instanceof InvalidPayload))) {
      return next(withMessages(delivery, results as DecodedMessage<unknown>[]));
    }
    return proceed(results);
  };
}

function validated(message: Message, result: StandardSchemaV1.Result<unknown>): Decoded {
  if (!result.issues) return { ...message, data: result.value };
  const issues: ValidationIssue[] = result.issues.map((issue) => ({
    message: issue.message,
    ...(issue.path && {
      path: issue.path.map((segment) => {
        const key = typeof segment === "object" ? segment.key : segment;
        return typeof key === "number" ? key : String(key);
      }),
    }),
  }));
  const first = issues[0];
  const where = first?.path?.length ? ` at ${first.path.join(".")}` : "";
  return new InvalidPayload(`payload failed validation: ${first?.message ?? "invalid"}${where}`, issues);
}

function parser(format: PayloadDecoding["format"]): (payload: Uint8Array, message: Message) => unknown {
  if (typeof format === "function") return format;
  if (format === "text") return (payload) => utf8.decode(payload);
  return (payload) => JSON.parse(utf8.decode(payload));
}
