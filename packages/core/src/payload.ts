import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Message } from "./message.js";

/** How payload bytes become `message.data` (YAML `behavior.payload_format`). */
export const PayloadFormat = {
  /** UTF-8 JSON. */
  Json: "json",
  /** UTF-8 text. */
  Text: "text",
} as const;
export type PayloadFormat = (typeof PayloadFormat)[keyof typeof PayloadFormat];

/**
 * Typed payloads: each message's payload is decoded (and, with a schema, validated) before the processor
 * sees it, as `message.data`. A payload that does not decode or validate goes to the dead-letter queue as
 * a permanent failure, with the schema's issues in its metadata (`prism-validation-issues`).
 */
export interface PayloadDecoding<T = unknown> {
  /** `"json"` (the default), `"text"`, or your own decoder (a throw counts as invalid). */
  readonly format?: PayloadFormat | ((payload: Uint8Array, message: Message) => unknown);
  /**
   * Any Standard Schema (zod, valibot, arktype, effect…): the decoded value must satisfy it, and its
   * output becomes `data` (typed in the processor).
   */
  readonly schema?: StandardSchemaV1<unknown, T>;
}

/** A message whose payload was decoded: what the processor receives with payload decoding on. */
export type DecodedMessage<T> = Message & { readonly data: T };
