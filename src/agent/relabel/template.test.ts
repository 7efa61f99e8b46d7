// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${1}" is relabeling's own template syntax, not a mistaken template literal.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Template, type TemplateMatch } from "./template.js";

/** Groups of `(?P<name>f)(o+)` matched against "foo": $1 = "f", $2 = "oo", ${name} = "f". */
const FOO: TemplateMatch = Object.assign(["foo", "f", "oo"], { groups: { name: "f" } });

describe("Template (Go's regexp.Expand)", () => {
  it.each([
    // template, expansion
    ["$1", "f"],
    ["${1}", "f"],
    ["$2$1", "oof"],
    ["${2}x", "oox"],
    ["$2x", ""], // `$2x` names the group "2x", which does not exist
    ["$1_suffix", ""], // likewise the group "1_suffix"
    ["${1}_suffix", "f_suffix"],
    ["$0", "foo"],
    ["${0}", "foo"],
    ["$01", ""], // a leading zero makes it a name, not a number
    ["$3", ""], // no such group
    ["$99999999999", ""],
    ["$name", "f"],
    ["${name}", "f"],
    ["${name}x", "fx"],
    ["$namex", ""],
    ["$nosuch", ""],
    ["$$", "$"],
    ["$$1", "$1"],
    ["$$$1", "$f"],
    ["a$", "a$"], // a final $ stays
    ["$-", "$-"],
    ["${", "${"],
    ["${}", "${}"],
    ["${1", "${1"],
    ["${1x", "${1x"],
    ["${1-}", "${1-}"],
    ["$ 1", "$ 1"],
    ["${1}${2}", "foo"],
    ["ch${1}-ch${1}", "chf-chf"],
    ["$ñ", ""], // letters beyond ASCII make names too
    ["x$ñ-y", "x-y"],
    ["", ""],
    ["plain", "plain"],
  ])("%j expands to %j", (template, want) => {
    expect(Template.parse(template).expand(FOO)).toBe(want);
  });

  it("knows which templates hold no reference", () => {
    expect(Template.parse("abc").isConstant).toBe(true);
    expect(Template.parse("a$$b").isConstant).toBe(true);
    expect(Template.parse("a$$b").constant).toBe("a$b");
    expect(Template.parse("a$").isConstant).toBe(true);
    expect(Template.parse("a$1").isConstant).toBe(false);
  });

  it("treats a non-participating group as empty", () => {
    const m = /^(a)|(b)$/.exec("b")!;
    expect(Template.parse("[$1][$2]").expand(m)).toBe("[][b]");
  });

  it("leaves text without $ as it is", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes("$")),
        (s) => {
          expect(Template.parse(s).expand(FOO)).toBe(s);
        },
      ),
    );
  });

  it("reads $$ as $ and never throws", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."$${}1a_-x".split("")) }), (s) => {
        const out = Template.parse(s).expand(FOO);
        expect(typeof out).toBe("string");
        expect(Template.parse(s.replaceAll("$", () => "$$")).expand(FOO)).toBe(s);
      }),
    );
  });
});
