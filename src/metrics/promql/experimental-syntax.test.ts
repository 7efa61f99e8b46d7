import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Expr } from "./ast.js";
import { BadQueryError, ParseError } from "./errors.js";
import { formatOpenMetricsFloat } from "./histogram-quantiles.js";
import { parseExpr } from "./parser.js";
import { formatExpr } from "./printer.js";
import { resolveDurations } from "./resolve-durations.js";

/**
 * The experimental syntax Prometheus's test scripts parse with: duration expressions, the
 * `fill` modifiers, `anchored`/`smoothed`, and info()'s label selector. Each valid form prints
 * canonically, and the canonical form parses back to itself.
 */

const VALID: ReadonlyArray<readonly [string, string]> = [
  // Duration expressions in ranges, subqueries and offsets.
  ["rate(foo[5m+1m])", "rate(foo[5m + 1m])"],
  ["rate(foo[1800])", "rate(foo[30m])"],
  ["rate(foo[-5m+35m])", "rate(foo[-5m + 35m])"],
  ["rate(foo[2m*(10+5)])", "rate(foo[2m * (10 + 5)])"],
  ["rate(foo[STEP()])", "rate(foo[step()])"],
  ["rate(foo[max_of(min_of(step()+1,1h),1ms)])", "rate(foo[max_of(min_of(step() + 1, 1h), 1ms)])"],
  ["foo[29s+1s:5s+5s]", "foo[29s + 1s:5s + 5s]"],
  ["foo[5m:step()]", "foo[5m:step()]"],
  ["foo offset (1h*2)", "foo offset (1h * 2)"],
  ["foo offset -step()", "foo offset -step()"],
  ["foo offset min_of(step(), 1s)", "foo offset min_of(step(), 1s)"],
  ["foo[5m] offset range()", "foo[5m] offset range()"],
  ["foo[5m:] offset (step()/2)", "foo[5m:] offset (step() / 2)"],
  // An offset takes a literal; arithmetic after it belongs to the enclosing expression.
  ["foo offset 1m + 1m", "foo offset 1m + 1m"],
  ["foo offset -2 ^ 2", "foo offset -2s ^ 2"],
  // Binary-operator fill modifiers.
  ["a + fill(0) b", "a + fill (0) b"],
  ["a + fill_left(5) fill_right(7) b", "a + fill_left (5) fill_right (7) b"],
  ["a + fill_right(-Inf) b", "a + fill_right (-Inf) b"],
  ["a + fill(NaN) b", "a + fill (NaN) b"],
  ["a == bool on(x) fill(1) b", "a == bool on (x) fill (1) b"],
  ["a * on(x) group_left(y) fill_right(1) b", "a * on (x) group_left (y) fill_right (1) b"],
  ["other + fill", "other + fill"],
  ["other + fill(0) fill", "other + fill (0) fill"],
  // anchored / smoothed.
  ["increase(foo[1m] anchored)", "increase(foo[1m] anchored)"],
  ["rate(foo[1m] smoothed offset 5m)", "rate(foo[1m] smoothed offset 5m)"],
  ["foo @ 100 smoothed", "foo @ 100.000 smoothed"],
  ["foo offset -100 smoothed", "foo smoothed offset -1m40s"],
  ["foo[1m] @ 10 anchored", "foo[1m] anchored @ 10.000"],
  // info() with a label selector that only matches empty values.
  ["info(foo)", "info(foo)"],
  ['info(foo, {data=~".*"})', 'info(foo, {data=~".*"})'],
  ['info(foo, {__name__=~".+_info", data=~".+"},)', 'info(foo, {__name__=~".+_info",data=~".+"})'],
];

describe("experimental syntax prints canonically", () => {
  it.each(VALID)("%j", (input, want) => {
    const e = parseExpr(input);
    expect(formatExpr(e)).toBe(want);
    expect(formatExpr(parseExpr(formatExpr(e)))).toBe(want);
  });
});

const INVALID: ReadonlyArray<readonly [string, string]> = [
  ["foo[0s]", "duration must be greater than 0"],
  ["foo[-1m]", "duration must be greater than 0"],
  ["foo[1m/0]", "division by zero"],
  ["foo[1m%0]", "modulo by zero"],
  ["foo offset bar", 'unexpected identifier "bar" in offset, expected number, duration, step(), or range()'],
  ["foo[1m:] anchored", "anchored modifier is not supported for subqueries"],
  ["foo[1m] anchored smoothed", "anchored and smoothed modifiers cannot be used together"],
  ["sum(foo) smoothed", "smoothed modifier must follow a vector or range selector"],
  ["a and fill(0) b", 'fill modifiers not allowed for "and" operation'],
  ["a + fill(0) 1", "vector matching only allowed between instant vectors"],
  ["a + fill(0) fill_left(1) b", "fill modifiers may not be set multiple times"],
  ["a + fill(x) b", 'unexpected identifier "x" in fill modifier, expected number'],
  ["info(foo, bar)", 'unexpected identifier "bar" in call to info, expected label selector'],
  ['{a=~".*"}', "vector selector must contain at least one non-empty matcher"],
];

describe("experimental syntax errors", () => {
  it.each(INVALID)("%j", (input, want) => {
    expect(() => parseExpr(input)).toThrow(ParseError);
    expect(() => parseExpr(input)).toThrow(want);
  });

  it("is rejected when experimental syntax is off", () => {
    for (const q of ["rate(foo[5m+1m])", "foo offset step()", "a + fill(0) b", "foo smoothed"]) {
      expect(() => parseExpr(q, { experimental: false })).toThrow(ParseError);
    }
  });
});

/** The ranges, steps and offsets of every node, in ms, after resolution. */
function durations(e: Expr): number[] {
  switch (e.type) {
    case "MatrixSelector":
      return [e.rangeMs, e.selector.offsetMs];
    case "SubqueryExpr":
      return [e.rangeMs, e.stepMs, e.offsetMs, ...durations(e.expr)];
    case "VectorSelector":
      return [e.offsetMs];
    case "Call":
      return e.args.flatMap(durations);
    default:
      return [];
  }
}

describe("resolveDurations", () => {
  const range = { stepMs: 15_000, rangeMs: 3_600_000 };
  it.each([
    ["rate(foo[5m+1m])", [360_000, 0]],
    ["rate(foo[step()*4] offset -step())", [60_000, -15_000]],
    ["rate(foo[range()/2])", [1_800_000, 0]],
    ["foo[10m:step()] offset (1m % 25s)", [600_000, 15_000, 10_000, 0]],
    ["rate(foo[max_of(step(), 1m) + 1ms])", [60_001, 0]],
    ["rate(foo[2^3^2 * 1s])", [512_000, 0]],
    ["rate(foo[0.0015 * step()])", [22, 0]],
  ] as const)("%s", (q, want) => {
    expect(durations(resolveDurations(parseExpr(q), range))).toEqual(want);
  });

  it("leaves a tree without duration expressions alone", () => {
    const e = parseExpr("sum(rate(foo[5m] offset 1m)) + bar");
    expect(resolveDurations(e, range)).toBe(e);
  });

  it("rejects non-positive ranges and steps, and division by zero", () => {
    const instant = { stepMs: 0, rangeMs: 0 };
    expect(() => resolveDurations(parseExpr("rate(foo[step()])"), instant)).toThrow(BadQueryError);
    expect(() => resolveDurations(parseExpr("foo[5m:step()]"), instant)).toThrow(
      "duration must be greater than 0",
    );
    expect(() => resolveDurations(parseExpr("rate(foo[1m / step()])"), instant)).toThrow("division by zero");
    // Offsets may be negative or zero.
    expect(durations(resolveDurations(parseExpr("foo offset -(step())"), instant))).toEqual([0]);
  });
});

describe("parser robustness with experimental words", () => {
  it("only ever throws ParseError on arbitrary input", () => {
    const alphabet = fc.constantFrom(
      ..."ab{}[]()=~+-*/^%@,: 0123456789msh".split(""),
      "offset",
      "step()",
      "range()",
      "min_of",
      "fill",
      "fill_left",
      "anchored",
      "smoothed",
      "info",
      "rate",
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 25 }), (parts) => {
        try {
          parseExpr(parts.join(""));
        } catch (err) {
          expect(err).toBeInstanceOf(ParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("formatOpenMetricsFloat (histogram_quantiles labels)", () => {
  it.each([
    [0, "0.0"],
    [1, "1.0"],
    [0.25, "0.25"],
    [-0.1, "-0.1"],
    [1.01, "1.01"],
    [2, "2.0"],
    [1e-5, "1e-05"],
    [1e21, "1e+21"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "+Inf"],
  ])("%d → %s", (v, want) => {
    expect(formatOpenMetricsFloat(v)).toBe(want);
  });
});
