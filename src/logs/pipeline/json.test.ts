import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeJsonObject, type JsonPathStep, type JsonValue, jsonPathValue, parseJsonPath } from "./json.js";

const LINE =
  '{ "a" : { "b\\"c" : [ 1.50 , {"d": null}, "x\\ny" ] }, "e": 12345678901234567890, "f": false, "g": {} }';

describe("jsonPathValue", () => {
  const cases: [string, string | undefined][] = [
    ['a["b\\"c"][0]', "1.50"],
    ['a["b\\"c"][1]', '{"d": null}'],
    ['a["b\\"c"][1].d', ""],
    ['a["b\\"c"][2]', "x\ny"],
    ['a["b\\"c"][3]', undefined],
    ['a["b\\"c"]', '[ 1.50 , {"d": null}, "x\\ny" ]'],
    ["e", "12345678901234567890"],
    ["f", "false"],
    ["g", "{}"],
    ["g.x", undefined],
    ["a.b", undefined],
    ["e[0]", undefined],
    ["missing", undefined],
  ];
  for (const [expr, want] of cases) {
    it(`${expr} → ${JSON.stringify(want)}`, () => {
      expect(decodeJsonObject(LINE)).not.toBeTypeOf("string");
      expect(jsonPathValue(LINE, parseJsonPath(expr))).toBe(want);
    });
  }

  it("follows the first of repeated keys", () => {
    expect(jsonPathValue('{"k":1,"k":2}', ["k"])).toBe("1");
  });

  it("agrees with JSON.parse on any value reached by any path, whatever the spacing", () => {
    const pathsOf = (v: JsonValue, prefix: JsonPathStep[], out: JsonPathStep[][]): JsonPathStep[][] => {
      out.push(prefix);
      if (Array.isArray(v)) for (const [i, x] of v.entries()) pathsOf(x, [...prefix, i], out);
      else if (v !== null && typeof v === "object")
        for (const [k, x] of Object.entries(v)) pathsOf(x, [...prefix, k], out);
      return out;
    };
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
        fc.constantFrom(0, 1, 2),
        (obj, space) => {
          const text = JSON.stringify(obj, null, space);
          const parsed = JSON.parse(text) as JsonValue;
          for (const path of pathsOf(parsed, [], []).slice(1)) {
            let want: JsonValue | undefined = parsed;
            for (const s of path) want = (want as Record<string | number, JsonValue>)[s];
            const got = jsonPathValue(text, path);
            expect(got).toBeDefined();
            if (want === null) expect(got).toBe("");
            else if (typeof want === "string") expect(got).toBe(want);
            else expect(JSON.parse(got!)).toEqual(want);
          }
        },
      ),
    );
  });
});
