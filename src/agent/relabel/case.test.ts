import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { goLowercase, goUppercase } from "./case.js";

describe("Go's strings.ToLower / ToUpper", () => {
  it.each([
    // input, lower, upper
    ["bAr123Foo", "bar123foo", "BAR123FOO"],
    ["", "", ""],
    ["ÀÉÎõü", "àéîõü", "ÀÉÎÕÜ"],
    ["straße", "straße", "STRAßE"], // ß has no one-letter upper case
    ["İstanbul", "istanbul", "İSTANBUL"], // İ lower-cases to a plain i
    ["ΟΔΟΣ", "οδοσ", "ΟΔΟΣ"], // no final-sigma rule
    ["ᾳ", "ᾳ", "ᾼ"], // ypogegrammeni: title-case form
    ["ᾀ", "ᾀ", "ᾈ"],
    ["ﬁ", "ﬁ", "ﬁ"], // ligature stays
    ["ǅ", "ǆ", "Ǆ"],
    ["ſ", "ſ", "S"],
    ["𐐨𐐀", "𐐨𐐨", "𐐀𐐀"], // beyond the BMP
  ])("%j", (s, lower, upper) => {
    expect(goLowercase(s)).toBe(lower);
    expect(goUppercase(s)).toBe(upper);
  });

  it("maps one code point to one code point", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        const n = [...s].length;
        expect([...goLowercase(s)].length).toBe(n);
        expect([...goUppercase(s)].length).toBe(n);
      }),
    );
  });

  it("agrees with JavaScript on ASCII", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary-ascii" }), (s) => {
        expect(goLowercase(s)).toBe(s.toLowerCase());
        expect(goUppercase(s)).toBe(s.toUpperCase());
      }),
    );
  });
});
