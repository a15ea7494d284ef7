import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it.each([
    ["5s", 5000],
    ["250ms", 250],
    ["1m30s", 90_000],
    ["2h", 7_200_000],
    ["1.5s", 1500],
    ["0", 0],
    [0, 0],
    [1200, 1200],
  ])("reads %j as %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(["", "5", "five seconds", "5 s", "-1s", "1d", "s", Number.NaN, -5, true, null])(
    "rejects %j",
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );
});

describe("formatDuration", () => {
  it.each([
    [5000, "5s"],
    [250, "250ms"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [1500, "1500ms"],
  ])("writes %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
