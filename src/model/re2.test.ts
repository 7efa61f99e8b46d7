import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Matcher } from "./matcher.js";
import { RE2Error, translateRE2 } from "./re2.js";

const re = (pattern: string) => new Matcher("=~", "l", pattern);

describe("RE2 regular expressions in matchers", () => {
  it.each([
    // pattern, matches, does not match
    ["(?i:PRO).*", ["production", "PROD", "Pro"], ["canary", "xprod"]],
    [".*(?i:DUC).*", ["production", "xDuCy"], ["prodction"]],
    ["((?i)PRO).*", ["proD"], ["xpro"]],
    ["(?i)foo|bar", ["FOO", "BAR", "Bar"], ["baz"]],
    ["a(?i)b", ["aB", "ab"], ["AB"]],
    ["(?i:[a-c]+)x", ["ABCx", "abx"], ["ABCX", "dx"]],
    ["(?i)[^a]", ["b", "B"], ["a", "A"]],
    ["(?P<word>\\w+)-\\d", ["abc-1"], ["abc-x"]],
    ["\\Aabc\\z", ["abc"], ["abcd"]],
    ["\\Qa.b*\\E", ["a.b*"], ["axbb"]],
    ["[[:digit:]]+", ["123"], ["12a"]],
    ["[[:alpha:][:digit:]_]+", ["a_1"], ["a-1"]],
    ["\\pL+", ["héllo"], ["h3"]],
    ["\\p{Greek}+", ["αβγ"], ["abc"]],
    ["a\\-b\\:c", ["a-b:c"], ["ab:c"]],
    ["[\\-x]", ["-", "x"], ["y"]],
    ["a{2}", ["aa"], ["a", "aaa"]],
    ["a{", ["a{"], ["a"]],
    ["}x]", ["}x]"], ["x"]],
    ["line1.line2", ["line1\nline2"], []],
    ["", [""], ["a"]],
  ])("%j", (pattern, yes, no) => {
    const m = re(pattern);
    for (const v of yes) expect(m.matches(v), `${pattern} should match ${JSON.stringify(v)}`).toBe(true);
    for (const v of no) expect(m.matches(v), `${pattern} should not match ${JSON.stringify(v)}`).toBe(false);
  });

  it.each([
    ["(?m)^a", "flag"],
    ["(?U)a+", "flag"],
    ["(a", "missing closing )"],
    ["a)", "unexpected )"],
    ["[a", "missing closing ]"],
    ["[[:nope:]]", "unknown POSIX class"],
    ["a\\", "trailing backslash"],
  ])("refuses %j clearly", (pattern, message) => {
    expect(() => translateRE2(pattern)).toThrow(RE2Error);
    expect(() => translateRE2(pattern)).toThrow(message);
  });

  it("never throws anything but RE2Error or SyntaxError on arbitrary patterns", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(..."ab()[]{}\\?*+|^$.-:iPQEz,0123".split("")), maxLength: 12 }),
        (p) => {
          try {
            new RegExp(`^(?:${translateRE2(p)})$`, "su");
          } catch (err) {
            if (!(err instanceof RE2Error) && !(err instanceof SyntaxError)) throw err;
          }
        },
      ),
    );
  });

  it("matches case-sensitive ASCII patterns exactly like the plain JavaScript regex", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-c.*+?|]{0,6}$/),
        fc.string({ unit: fc.constantFrom("a", "b", "c", "\n"), maxLength: 6 }),
        (p, v) => {
          let plain: RegExp;
          try {
            plain = new RegExp(`^(?:${p})$`, "su");
          } catch {
            return;
          }
          expect(re(p).matches(v)).toBe(plain.test(v));
        },
      ),
    );
  });
});
