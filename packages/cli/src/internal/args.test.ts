import { describe, expect, it } from "vitest";
import { parseListen, UsageError } from "./args.js";

describe("parseListen", () => {
  it("listens on loopback unless a host is given", () => {
    expect(parseListen(":9464")).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(parseListen("9464")).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(parseListen("0.0.0.0:9464")).toEqual({ host: "0.0.0.0", port: 9464 });
    expect(parseListen("[::1]:0")).toEqual({ host: "::1", port: 0 });
  });

  it("refuses what is not [host]:port", () => {
    for (const text of ["", "host", ":99999", "1.2.3.4:"])
      expect(() => parseListen(text), text).toThrow(UsageError);
  });
});
