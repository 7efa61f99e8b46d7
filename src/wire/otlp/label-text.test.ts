import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyValueText, compareCodePoints, formatFloatLabel } from "./label-text.js";
import type { AnyValue } from "./types.js";

describe("formatFloatLabel (Go's FormatFloat 'f', -1)", () => {
  it.each([
    [0, "0"],
    [-0, "-0"],
    [1, "1"],
    [0.005, "0.005"],
    [2.5, "2.5"],
    [-10, "-10"],
    [100, "100"],
    [1e-7, "0.0000001"],
    [1.5e-10, "0.00000000015"],
    [1e21, "1000000000000000000000"],
    [123456789.125, "123456789.125"],
    [2 ** 53 + 2, "9007199254740994"],
    [5e-324, `0.${"0".repeat(323)}5`],
    [Number.POSITIVE_INFINITY, "+Inf"],
    [Number.NEGATIVE_INFINITY, "-Inf"],
    [Number.NaN, "NaN"],
  ])("%s is %j", (v, want) => {
    expect(formatFloatLabel(v)).toBe(want);
  });

  it("reads back to the same double", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const s = formatFloatLabel(v);
        expect(s).toMatch(/^-?\d+(\.\d+)?$/);
        expect(Object.is(Number(s), v)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("anyValueText (pcommon.Value.AsString)", () => {
  const str = (value: string): AnyValue => ({ kind: "string", value });
  it.each<[string, AnyValue, string]>([
    ["a string", str("a b"), "a b"],
    ["true", { kind: "bool", value: true }, "true"],
    ["an int", { kind: "int", value: -42n }, "-42"],
    ["the largest int64", { kind: "int", value: 2n ** 63n - 1n }, "9223372036854775807"],
    ["a double", { kind: "double", value: 2.5 }, "2.5"],
    ["a whole double", { kind: "double", value: 3 }, "3"],
    ["a large double", { kind: "double", value: 1e21 }, "1e+21"],
    ["a small double", { kind: "double", value: 1e-7 }, "1e-7"],
    ["negative zero", { kind: "double", value: -0 }, "-0"],
    ["NaN", { kind: "double", value: Number.NaN }, "json: unsupported value: NaN"],
    ["+Inf", { kind: "double", value: Number.POSITIVE_INFINITY }, "json: unsupported value: +Inf"],
    ["bytes", { kind: "bytes", value: new Uint8Array([0xfb, 0xff, 0x00]) }, "+/8A"],
    ["unset", { kind: "empty" }, ""],
    [
      "an array",
      {
        kind: "array",
        values: [
          str("x"),
          { kind: "int", value: 1n },
          { kind: "bool", value: false },
          { kind: "empty" },
          { kind: "double", value: 0.5 },
        ],
      },
      '["x",1,false,null,0.5]',
    ],
    [
      "a key-value list (sorted keys, last duplicate wins)",
      {
        kind: "kvlist",
        values: [
          { key: "b", value: str("1") },
          { key: "a", value: { kind: "array", values: [] } },
          { key: "b", value: str("2") },
        ],
      },
      '{"a":[],"b":"2"}',
    ],
    [
      "Go's JSON escaping",
      { kind: "array", values: [str('<a&b>"\\\n\b\u0001\u2028')] },
      '["\\u003ca\\u0026b\\u003e\\"\\\\\\n\\b\\u0001\\u2028"]',
    ],
    ["a lone surrogate in JSON", { kind: "array", values: [str("x\ud800y")] }, '["x\\ufffdy"]'],
    ["an array holding NaN", { kind: "array", values: [{ kind: "double", value: Number.NaN }] }, ""],
    [
      "bytes in an array",
      { kind: "array", values: [{ kind: "bytes", value: new Uint8Array([1]) }] },
      '["AQ=="]',
    ],
  ])("%s", (_, v, want) => {
    expect(anyValueText(v)).toBe(want);
  });

  it("escapes like JSON.stringify, and more, never less", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        const got = anyValueText({ kind: "array", values: [{ kind: "string", value: s }] });
        expect(JSON.parse(got)).toEqual([s]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("compareCodePoints", () => {
  it("orders by code point, as Go orders UTF-8", () => {
    const astral = "\u{1F600}"; // a surrogate pair in UTF-16
    expect(compareCodePoints(astral, "\uffff")).toBeGreaterThan(0);
    expect("\uffff" < astral).toBe(false); // what JavaScript's own order says
    expect(compareCodePoints("a", "b")).toBeLessThan(0);
    expect(compareCodePoints("ab", "a")).toBeGreaterThan(0);
    expect(compareCodePoints("x", "x")).toBe(0);
  });
});
