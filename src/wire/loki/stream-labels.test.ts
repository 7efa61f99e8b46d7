import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbLabels, arbText } from "./push.testlib.js";
import { formatStreamLabels, parseStreamLabels, StreamLabelsError } from "./stream-labels.js";

describe("parseStreamLabels", () => {
  const ok: [string, [string, string][]][] = [
    ["{}", []],
    [" { } ", []],
    ['{app="web"}', [["app", "web"]]],
    [
      '{env="prod", app="web"}',
      [
        ["app", "web"],
        ["env", "prod"],
      ],
    ],
    [
      '{ a = "1" ,b="2", }',
      [
        ["a", "1"],
        ["b", "2"],
      ],
    ],
    ['{a=""}', [["a", ""]]],
    [
      '{a="q\\"uote", b="back\\\\slash"}',
      [
        ["a", 'q"uote'],
        ["b", "back\\slash"],
      ],
    ],
    ['{a="\\n\\t\\r\\a\\b\\f\\v"}', [["a", "\n\t\r\x07\b\f\v"]]],
    ['{a="\\x41\\101\\u00e9\\U0001F600"}', [["a", "AAé😀"]]],
    ['{a="\\xc3\\xa9"}', [["a", "é"]]],
    ['{a="é😀"}', [["a", "é😀"]]],
    ['{a=`raw \\n "x"`}', [["a", 'raw \\n "x"']]],
    ['{"a"="1"}', [["a", "1"]]],
    ['{_x9="1"}', [["_x9", "1"]]],
  ];
  it.each(ok)("parses %s", (text, want) => {
    expect(parseStreamLabels(text)).toEqual(want);
  });

  const bad: [string, RegExp][] = [
    ["", /expected '\{'/],
    ["app=web", /expected '\{'/],
    ['{a="1"', /missing '\}'/],
    ['{a="1" b="2"}', /expected ',' or '\}'/],
    ['{a="1"} x', /unexpected text after/],
    ['{a=~"1"}', /uses "=~": a stream's labels take only '='/],
    ['{a!="1"}', /uses "!=": a stream's labels take only '='/],
    ["{a}", /expected '=' after label name a/],
    ["{a=1}", /expected a quoted label value/],
    ['{a="1}', /unterminated string/],
    ['{a="x\ny"}', /newline inside a quoted label value/],
    ['{a="\\q"}', /unknown escape \\q/],
    ['{a="\\x4"}', /expected 2 hex digits/],
    ['{a="\\400"}', /invalid octal escape/],
    ['{a="\\ud800"}', /names no Unicode character/],
    ['{a="\\xff"}', /do not make valid UTF-8/],
    ['{1a="x"}', /invalid label name "1a"/],
    ['{a-b="x"}', /invalid label name "a-b"/],
    ['{"a b"="x"}', /invalid label name "a b"/],
    ['{a="1", a="2"}', /duplicate label name "a"/],
    ["{,}", /expected a label name/],
  ];
  it.each(bad)("refuses %j", (text, want) => {
    let err: unknown;
    try {
      parseStreamLabels(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StreamLabelsError);
    expect((err as Error).message).toMatch(want);
  });

  it("quotes a shortened text in errors", () => {
    const long = `{a=${"x".repeat(500)}}`;
    expect(() => parseStreamLabels(long)).toThrow(/…" *:/);
  });
});

describe("formatStreamLabels", () => {
  it("sorts and escapes as Go does", () => {
    expect(
      formatStreamLabels([
        ["b", 'say "hi"\n'],
        ["a", "\\"],
      ]),
    ).toBe('{a="\\\\", b="say \\"hi\\"\\n"}');
    expect(formatStreamLabels([["a", "\u0001\u007f"]])).toBe('{a="\\x01\\x7f"}');
    expect(formatStreamLabels([])).toBe("{}");
  });

  it("quotes invalid names so they cannot forge other labels", () => {
    const text = formatStreamLabels([['x="1", y', "2"]]);
    expect(() => parseStreamLabels(text)).toThrow(/invalid label name "x=\\"1\\", y"/);
  });

  it("writes lone surrogates as U+FFFD", () => {
    expect(parseStreamLabels(formatStreamLabels([["a", "x\ud800y"]]))).toEqual([["a", "x\ufffdy"]]);
  });

  it("round-trips through parseStreamLabels", () => {
    fc.assert(
      fc.property(arbLabels, (pairs) => {
        expect(parseStreamLabels(formatStreamLabels(pairs))).toEqual(pairs);
      }),
    );
  });

  it("parse never throws anything but StreamLabelsError", () => {
    const arbSelectorish = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({
        unit: fc.constantFrom("{", "}", "a", "=", "!", "~", '"', "`", "\\", ",", " ", "x", "u", "0", "\n"),
        maxLength: 30,
      }),
      fc.tuple(arbLabels, fc.nat(), fc.string({ maxLength: 3 })).map(([p, at, junk]) => {
        const t = formatStreamLabels(p);
        const i = at % (t.length + 1);
        return t.slice(0, i) + junk + t.slice(i + 1);
      }),
    );
    fc.assert(
      fc.property(arbSelectorish, (text) => {
        try {
          const pairs = parseStreamLabels(text);
          for (const [n, v] of pairs) {
            expect(typeof n).toBe("string");
            expect(typeof v).toBe("string");
          }
        } catch (err) {
          expect(err).toBeInstanceOf(StreamLabelsError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps any text value", () => {
    fc.assert(
      fc.property(arbText, (v) => {
        expect(parseStreamLabels(formatStreamLabels([["a", v]]))).toEqual([["a", v]]);
      }),
    );
  });
});
