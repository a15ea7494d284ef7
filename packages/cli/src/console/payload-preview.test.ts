import { describe, expect, it } from "vitest";
import { payloadPreview } from "./payload-preview.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("payloadPreview", () => {
  it("shows UTF-8 as text, HTML included (the page sets it as text)", () => {
    expect(payloadPreview(bytes("<script>alert(1)</script> ü"))).toEqual({
      bytes: 28,
      encoding: "utf8",
      text: "<script>alert(1)</script> ü",
      truncated: false,
    });
  });

  it("cuts long text by characters, never inside one", () => {
    const preview = payloadPreview(bytes("€".repeat(10)), 4);
    expect(preview).toMatchObject({ bytes: 30, encoding: "utf8", text: "€€€€", truncated: true });
    expect(payloadPreview(bytes("abcd"), 4)).toMatchObject({ text: "abcd", truncated: false });
    expect(payloadPreview(bytes("x".repeat(100)), 4)).toMatchObject({ text: "xxxx", truncated: true });
  });

  it("shows bytes that are not UTF-8 as a hex dump and base64", () => {
    const payload = new Uint8Array([0xff, 0xfe, 0x00, 0x3c, 0x62, 0x3e, ...new Array(14).fill(0x41)]);
    expect(payloadPreview(payload)).toEqual({
      bytes: 20,
      encoding: "hex",
      text: "00000000  ff fe 00 3c 62 3e 41 41 41 41 41 41 41 41 41 41\n00000010  41 41 41 41",
      base64: Buffer.from(payload).toString("base64"),
      truncated: false,
    });
    const long = payloadPreview(new Uint8Array(40).fill(0x80), 16);
    expect(long).toMatchObject({
      bytes: 40,
      truncated: true,
      base64: Buffer.alloc(16, 0x80).toString("base64"),
    });
    expect(long.text.split("\n")).toHaveLength(1);
  });

  it("reads a view into a larger buffer from its own offset", () => {
    const backing = bytes("xxhelloxx");
    expect(payloadPreview(backing.subarray(2, 7)).text).toBe("hello");
  });
});
