import { describe, expect, it } from "vitest";
import { formatDurationMs, parseDurationMs } from "./duration.js";

describe("parseDurationMs", () => {
  it.each([
    ["15s", 15_000],
    ["500ms", 500],
    ["1h30m", 5_400_000],
    ["1d", 86_400_000],
    ["1w2d", 777_600_000],
    ["0", 0],
    ["1m0s", 60_000],
  ])("%s → %d ms", (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(["", "15", "s", "1.5s", "30m1h", "1s1s", "-5m", "5 m", "5x"])("refuses %j", (text) =>
    expect(parseDurationMs(text)).toBeUndefined(),
  );
});

describe("formatDurationMs", () => {
  it.each([
    [0, "0s"],
    [15_000, "15s"],
    [5_400_000, "1h30m"],
    [1_500, "1s500ms"],
  ])("%d ms → %s", (ms, text) => expect(formatDurationMs(ms)).toBe(text));

  it("round-trips through parseDurationMs", () => {
    for (const ms of [1, 999, 61_000, 86_400_001, 31_536_000_000 + 3_600_000]) {
      expect(parseDurationMs(formatDurationMs(ms))).toBe(ms);
    }
  });
});
