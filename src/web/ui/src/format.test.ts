import { describe, expect, it } from "vitest";
import { formatAgo, formatCount, formatRate, formatSeriesLabel } from "./format";

const now = Date.parse("2026-11-20T23:00:00.000Z");
const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();

describe("formatAgo", () => {
  const cases: [string | null, string][] = [
    [null, "never"],
    ["not a date", "never"],
    [ago(-3), "0 s ago"], // A clock ahead of ours is not the future.
    [ago(5), "5 s ago"],
    [ago(59.9), "59 s ago"],
    [ago(60), "1 min ago"],
    [ago(299), "4 min ago"],
    [ago(300), "5 min ago"],
    [ago(7200), "2 h ago"],
    [ago(3 * 86400), "3 d ago"],
  ];
  for (const [lastSeen, want] of cases) {
    it(`${lastSeen}`, () => expect(formatAgo(lastSeen, now)).toBe(want));
  }
});

describe("formatRate and formatCount", () => {
  it.each([
    [0, "0"],
    [0.256, "0.26"],
    [12.5, "12.5"],
    [1234.56, "1,235"],
    [Number.NaN, "—"],
  ])("formatRate(%s) = %s", (n, want) => expect(formatRate(n)).toBe(want));
  it.each([
    [340, "340"],
    [12340, "12,340"],
    [Number.POSITIVE_INFINITY, "—"],
  ])("formatCount(%s) = %s", (n, want) => expect(formatCount(n)).toBe(want));
});

describe("formatSeriesLabel", () => {
  it.each([
    [{ __name__: "up" }, "up"],
    [{ __name__: "up", job: "x", instance: "y" }, 'up{instance="y", job="x"}'],
    [{ job: "x" }, '{job="x"}'],
    [{}, "{}"],
    [{ __name__: "m", path: 'a"b\\c\nd' }, 'm{path="a\\"b\\\\c\\nd"}'],
  ])("%j", (metric: Record<string, string>, want) => expect(formatSeriesLabel(metric)).toBe(want));
});
