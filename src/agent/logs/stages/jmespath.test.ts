import { describe, expect, it } from "vitest";
import { evalPath, parseJMESPath } from "./jmespath.js";

const doc = {
  a: { b: { c: 1 } },
  "a.b": "dotted",
  "x-y": { z: "dash" },
  items: [{ id: "i0" }, { id: "i1" }],
  n: null,
};

describe("JMESPath subset", () => {
  it.each([
    ["a", doc.a],
    ["a.b.c", 1],
    ['"a.b"', "dotted"],
    ['"x-y".z', "dash"],
    ["items[0].id", "i0"],
    ["items[-1].id", "i1"],
    ["items[5]", undefined],
    ["a.missing.deeper", undefined],
    ["items.id", undefined],
    ["a[0]", undefined],
    ["n", null],
    ["toString", undefined], // own properties only
  ])("%s", (expr, want) => {
    expect(evalPath(doc, parseJMESPath(expr))).toEqual(want);
  });

  it("indexes the root array", () => {
    expect(evalPath([["x"]], parseJMESPath("[0][0]"))).toBe("x");
  });

  it.each([
    ["", /empty expression/],
    ["a.", /ends with \./],
    [".a", /misplaced \./],
    ["a..b", /misplaced \./],
    ["a[*]", /only numeric indexes/],
    ["a[?b==`1`]", /only numeric indexes/],
    ["a | b", /unexpected " "/],
    ["length(a)", /unexpected "\("/],
    ['"open', /unterminated quoted identifier/],
    ["a-b", /unexpected "-"/],
  ])("rejects %s", (expr, err) => {
    expect(() => parseJMESPath(expr)).toThrow(err);
  });
});
