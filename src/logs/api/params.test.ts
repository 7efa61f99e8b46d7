import { describe, expect, it } from "vitest";
import { lokiDurationParam, lokiTimeRange, parseLokiTime } from "./params.js";

describe("parseLokiTime", () => {
  it.each([
    ["1700000000", 1_700_000_000_000_000_000n],
    ["1700000000000000000", 1_700_000_000_000_000_000n],
    ["1700000000.5", 1_700_000_000_500_000_000n],
    ["1700000000.1234", 1_700_000_000_123_000_000n],
    ["2023-11-14T22:13:20Z", 1_700_000_000_000_000_000n],
    ["2023-11-14T22:13:20.000000123Z", 1_700_000_000_000_000_123n],
    ["2023-11-14T23:13:20+01:00", 1_700_000_000_000_000_000n],
    ["yesterday", undefined],
    ["", undefined],
  ])("%s", (text, want) => {
    expect(parseLokiTime(text)).toBe(want);
  });
});

describe("lokiDurationParam", () => {
  it.each([
    ["5m", 300_000_000_000n],
    ["1.5", 1_500_000_000n],
    ["60000ms", 60_000_000_000n],
  ])("%s", (text, want) => {
    expect(lokiDurationParam(new URLSearchParams({ step: text }), "step")).toBe(want);
  });

  it("refuses what is not a duration", () => {
    expect(() => lokiDurationParam(new URLSearchParams({ step: "soon" }), "step")).toThrow(/step/);
  });
});

describe("lokiTimeRange", () => {
  const now = 10_000n * 1_000_000_000n;
  it("defaults to the hour before now", () => {
    expect(lokiTimeRange(new URLSearchParams(), now)).toEqual({
      startNs: now - 3600n * 1_000_000_000n,
      endNs: now,
    });
  });
  it("counts since back from end", () => {
    expect(lokiTimeRange(new URLSearchParams({ end: "5000", since: "10s" }), now).startNs).toBe(
      4990n * 1_000_000_000n,
    );
  });
  it("refuses an end before start", () => {
    expect(() => lokiTimeRange(new URLSearchParams({ start: "5000", end: "4000" }), now)).toThrow(/end/);
  });
});
