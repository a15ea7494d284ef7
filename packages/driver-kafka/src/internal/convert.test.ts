import type { KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { toMessage } from "./convert.js";

/** A fetched record whose headers are whatever the case needs, typed as kafkajs would not allow. */
const record = (headers: unknown) =>
  ({
    key: null,
    value: Buffer.from("v"),
    timestamp: "1700000000000",
    attributes: 0,
    offset: "41",
    headers,
  }) as KafkaMessage;

describe("toMessage", () => {
  it("turns a null header value into an empty string instead of throwing", () => {
    const headers = { trace: null, tenant: Buffer.from("acme") };
    expect(toMessage("t", 0, record(headers), 1).metadata).toEqual({ trace: "", tenant: "acme" });
  });

  it("hands over what it cannot convert with the reason, rather than throwing (which stalls the partition)", () => {
    // Not something kafkajs decodes today; it stands for any record a future client or bug makes odd.
    const message = toMessage("t", 3, record({ odd: 42 }), 1);
    expect(message).toMatchObject({
      id: "3-41",
      conversionError: 'kafka record 3-41: header "odd" has a value of type number',
    });
    expect(message.payload).toEqual(new Uint8Array(Buffer.from("v")));
  });
});
