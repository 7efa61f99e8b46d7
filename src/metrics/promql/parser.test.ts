import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BinaryExpr, type Expr, typeOf } from "./ast.js";
import { ParseError } from "./errors.js";
import { parseExpr, parseSeriesSelector } from "./parser.js";
import { formatExpr } from "./printer.js";

/** Valid expressions and their canonical printed form (Prometheus's `String()`). */
const VALID: ReadonlyArray<readonly [string, string]> = [
  // literals
  ["1", "1"],
  ["1.5", "1.5"],
  [".5", "0.5"],
  ["1e3", "1000"],
  ["1E-3", "0.001"],
  ["0x1F", "31"],
  ["010", "8"],
  ["Inf", "+Inf"],
  ["-inf", "-Inf"],
  ["NaN", "NaN"],
  ["-1", "-1"],
  ["+1", "1"],
  ["5m", "5m"],
  ["1h30m", "1h30m"],
  ["-5m", "-5m"],
  ['"a\\nb"', '"a\\nb"'],
  ["'single \\' quote'", '"single \' quote"'],
  ["`raw \\n`", '"raw \\\\n"'],
  ['"\\u00e9\\x41"', '"éA"'],
  // selectors
  ["foo", "foo"],
  ["foo:bar:baz", "foo:bar:baz"],
  ['foo{a="b"}', 'foo{a="b"}'],
  ['foo{c="d", a=~"x.*",}', 'foo{a=~"x.*",c="d"}'],
  ['foo{a!="b", b!~"c"}', 'foo{a!="b",b!~"c"}'],
  ['{__name__="foo"}', '{__name__="foo"}'],
  ['{"foo"}', "foo"],
  ['{"my.metric", a="b"}', '{"my.metric",a="b"}'],
  ['{"my.label"="x"}', '{"my.label"="x"}'],
  ["sum", "sum"],
  ["by", "by"],
  ['and{a="b"}', 'and{a="b"}'],
  ["foo # a comment\n", "foo"],
  // range selectors, offset, @
  ["foo[5m]", "foo[5m]"],
  ["foo[90s]", "foo[1m30s]"],
  ["foo[60]", "foo[1m]"],
  ["foo[1h30m]", "foo[1h30m]"],
  ["foo[2w]", "foo[2w]"],
  ["foo[14d]", "foo[2w]"],
  ["foo[1y]", "foo[1y]"],
  ["foo offset 5m", "foo offset 5m"],
  ["foo OFFSET -5m", "foo offset -5m"],
  ["foo[5m] offset 1h", "foo[5m] offset 1h"],
  ["foo @ 100", "foo @ 100.000"],
  ["foo @ 1.5", "foo @ 1.500"],
  ["foo @ -10", "foo @ -10.000"],
  ["foo @ start()", "foo @ start()"],
  ["foo @ end() offset 1m", "foo @ end() offset 1m"],
  ["foo offset 1m @ 10", "foo @ 10.000 offset 1m"],
  ["foo[5m] @ 10 offset 1m", "foo[5m] @ 10.000 offset 1m"],
  // subqueries
  ["foo[30m:1m]", "foo[30m:1m]"],
  ["foo[30m:]", "foo[30m:]"],
  ["rate(foo[5m])[30m:1m]", "rate(foo[5m])[30m:1m]"],
  ["(foo + bar)[1h:5m] offset 10m", "(foo + bar)[1h:5m] offset 10m"],
  ["max_over_time(rate(foo[1m])[5m:] @ end())", "max_over_time(rate(foo[1m])[5m:] @ end())"],
  // calls
  ["rate(foo[5m])", "rate(foo[5m])"],
  ["time()", "time()"],
  ["round(foo, 5)", "round(foo, 5)"],
  ["round(foo)", "round(foo)"],
  ['label_join(foo, "d", ",", "a", "b", "c")', 'label_join(foo, "d", ",", "a", "b", "c")'],
  ['label_replace(up, "a", "$1", "b", "(.*)",)', 'label_replace(up, "a", "$1", "b", "(.*)")'],
  [
    "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))",
    "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))",
  ],
  ["day_of_week()", "day_of_week()"],
  // aggregations
  ["sum(foo)", "sum(foo)"],
  ["SUM(foo)", "sum(foo)"],
  ["sum by (a) (x)", "sum by (a) (x)"],
  ["sum(x) by (a, b)", "sum by (a, b) (x)"],
  ["sum without (a) (x)", "sum without (a) (x)"],
  ["sum without () (x)", "sum without () (x)"],
  ["sum by () (x)", "sum(x)"],
  ['sum by ("my.label", b,) (x)', 'sum by ("my.label", b) (x)'],
  ["topk(3, x)", "topk(3, x)"],
  ["bottomk by (a) (3, x)", "bottomk by (a) (3, x)"],
  ["quantile(0.9, x)", "quantile(0.9, x)"],
  ['count_values("v", x)', 'count_values("v", x)'],
  ["count(x) without (instance)", "count without (instance) (x)"],
  // binary operators
  ["foo/bar", "foo / bar"],
  ["1+2*3", "1 + 2 * 3"],
  ["(1+2)*3", "(1 + 2) * 3"],
  ["foo > bool 1", "foo > bool 1"],
  ["1 == bool 1", "1 == bool 1"],
  ["foo * on (a, b) bar", "foo * on (a, b) bar"],
  ["foo * ignoring (a) bar", "foo * ignoring (a) bar"],
  ["foo * on (a) group_left (b) bar", "foo * on (a) group_left (b) bar"],
  ["foo * on (a) group_left bar", "foo * on (a) group_left () bar"],
  ["foo / ignoring (a) group_right bar", "foo / ignoring (a) group_right () bar"],
  ["foo and bar", "foo and bar"],
  ["foo AND on () bar", "foo and on () bar"],
  ["foo or bar unless baz", "foo or bar unless baz"],
  ["foo atan2 bar", "foo atan2 bar"],
  ["-foo", "-foo"],
  ["+foo", "+foo"],
  ["- - 1", "1"],
  ["-(1)", "-(1)"],
  ["foo != bar", "foo != bar"],
];

/** Invalid expressions and the error Prometheus-like message they produce. */
const INVALID: ReadonlyArray<readonly [string, string]> = [
  ["", "1:1: parse error: no expression found in input"],
  ["foo{", '1:5: parse error: unexpected end of input in label matching, expected identifier or "}"'],
  ["foo}", '1:4: parse error: unexpected "}"'],
  ["foo{a=}", '1:7: parse error: unexpected "}" in label matching, expected string'],
  [
    'foo{a "b"}',
    '1:7: parse error: unexpected string "\\"b\\"" in label matching, expected label matching operator',
  ],
  ["(foo", '1:5: parse error: unexpected end of input, expected ")"'],
  ["1 +", "1:4: parse error: unexpected end of input"],
  ["foo[5m", '1:7: parse error: unexpected end of input in subquery or range selector, expected "]" or ":"'],
  ["foo[5x]", '1:5: parse error: bad number or duration syntax: "5x"'],
  ["foo[5m30h]", '1:5: parse error: not a valid duration string: "5m30h"'],
  ['"unterminated', "1:1: parse error: unterminated quoted string"],
  ['"\\q"', '1:2: parse error: unknown escape sequence "\\\\q"'],
  ["foo ! bar", "1:5: parse error: unexpected character after '!'"],
  ["foo $ bar", '1:5: parse error: unexpected character: "$"'],
  ["{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"],
  ['{a=""}', "1:1: parse error: vector selector must contain at least one non-empty matcher"],
  ['foo{__name__="bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
  ['{"foo", "bar"}', '1:9: parse error: metric name must not be set twice: "foo" or "bar"'],
  [
    "rate(foo)",
    '1:6: parse error: expected type range vector in call to function "rate", got instant vector',
  ],
  [
    "abs(foo[5m])",
    '1:5: parse error: expected type instant vector in call to function "abs", got range vector',
  ],
  ["rate()", '1:1: parse error: expected 1 argument(s) in call to "rate", got 0'],
  ["round(foo, 1, 2)", '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3'],
  [
    'label_join(foo, "a")',
    '1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 2',
  ],
  ["nonexistent(foo)", '1:1: parse error: unknown function with name "nonexistent"'],
  ["sum()", "1:1: parse error: no arguments for aggregate expression provided"],
  [
    "topk(foo)",
    "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1",
  ],
  ["sum(1)", "1:5: parse error: expected type instant vector in aggregation expression, got scalar"],
  ["topk(foo, bar)", "1:6: parse error: expected type scalar in aggregation parameter, got instant vector"],
  ["count_values(1, bar)", "1:14: parse error: expected type string in aggregation parameter, got scalar"],
  ["1 > 2", "1:1: parse error: comparisons between scalars must use BOOL modifier"],
  ["foo + bool bar", "1:1: parse error: bool modifier can only be used on comparison operators"],
  ["1 and foo", '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
  ["foo and on (a) group_left bar", '1:1: parse error: no grouping allowed for "and" operation'],
  ["1 + on (a) foo", "1:1: parse error: vector matching only allowed between instant vectors"],
  [
    "foo * on (a) group_left (a) bar",
    '1:1: parse error: label "a" must not occur in ON and GROUP clause at once',
  ],
  ["foo[5m] + 1", "1:1: parse error: binary expression must contain only scalar and instant vector types"],
  ['"a" + 1', "1:1: parse error: binary expression must contain only scalar and instant vector types"],
  [
    "-foo[5m]",
    '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"',
  ],
  ["(foo)[5m]", "1:1: parse error: ranges only allowed for vector selectors"],
  ["foo offset 5m[1m]", "1:1: parse error: no offset modifiers allowed before range"],
  ["foo[5m][1m:]", "1:1: parse error: subquery is only allowed on instant vector, got range vector instead"],
  [
    "sum(foo) offset 5m",
    "1:10: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
  ],
  ["foo offset 1m offset 2m", "1:15: parse error: offset may not be set multiple times"],
  ["foo @ 1 @ 2", "1:9: parse error: @ <timestamp> may not be set multiple times"],
  ["foo @ Inf", "1:7: parse error: timestamp out of bounds for @ modifier: Inf"],
  ['foo{a=~"("}', "1:5: parse error: invalid regular expression"],
  [
    "foo * group_left bar",
    '1:7: parse error: unexpected identifier "group_left", group modifiers need a preceding on(...) or ignoring(...)',
  ],
  ["foo bar", '1:5: parse error: unexpected identifier "bar"'],
  ["sum by (a b) (x)", '1:11: parse error: unexpected identifier "b" in grouping opts, expected "," or ")"'],
  ["foo\n  }", '2:3: parse error: unexpected "}"'],
];

describe("parseExpr: valid expressions print canonically", () => {
  it.each(VALID)("%j", (input, want) => {
    const e = parseExpr(input);
    expect(formatExpr(e)).toBe(want);
    // The canonical form is a fixed point.
    expect(formatExpr(parseExpr(formatExpr(e)))).toBe(want);
  });
});

describe("parseExpr: invalid expressions", () => {
  it.each(INVALID)("%j", (input, want) => {
    let err: unknown;
    try {
      parseExpr(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    const msg = (err as ParseError).message;
    expect(msg.slice(0, want.length)).toBe(want);
    expect((err as ParseError).code).toBe("bad_data");
  });
});

/** Fully parenthesises binary expressions, to show how operators grouped. */
function shape(e: Expr): string {
  switch (e.type) {
    case "BinaryExpr":
      return `(${shape(e.lhs)} ${e.op} ${shape(e.rhs)})`;
    case "UnaryExpr":
      return `(${e.op}${shape(e.expr)})`;
    case "ParenExpr":
      return shape(e.expr);
    default:
      return formatExpr(e);
  }
}

const PRECEDENCE_CASES: ReadonlyArray<readonly [string, string]> = [
  ["a + b * c", "(a + (b * c))"],
  ["a * b + c", "((a * b) + c)"],
  ["a - b - c", "((a - b) - c)"],
  ["a / b / c", "((a / b) / c)"],
  ["a ^ b ^ c", "(a ^ (b ^ c))"],
  ["-a ^ b", "(-(a ^ b))"],
  ["-a * b", "((-a) * b)"],
  ["2 ^ -1", "(2 ^ -1)"],
  ["-2 ^ 2", "-4"],
  ["a * b % c atan2 d", "(((a * b) % c) atan2 d)"],
  ["a + b > c - d", "((a + b) > (c - d))"],
  ["a > b and c < d", "((a > b) and (c < d))"],
  ["a and b or c and d", "((a and b) or (c and d))"],
  ["a or b unless c", "(a or (b unless c))"],
  ["a unless b and c", "((a unless b) and c)"],
  ["a == b != c", "((a == b) != c)"],
  ["a + b offset 5m", "(a + b offset 5m)"],
  ["-a offset 1m", "(-a offset 1m)"],
];

describe("parseExpr: precedence and associativity", () => {
  it.each(PRECEDENCE_CASES)("%s", (input, want) => {
    const e = parseExpr(input);
    // `-2 ^ 2` folds to a literal only after evaluation; show numbers by value.
    if (want === "-4") {
      const b = e as BinaryExpr;
      expect(e.type).toBe("UnaryExpr");
      expect(formatExpr(b)).toBe("-2 ^ 2");
      return;
    }
    expect(shape(e)).toBe(want);
  });
});

describe("parseExpr: details", () => {
  it("records value types", () => {
    expect(typeOf(parseExpr("1 + 1"))).toBe("scalar");
    expect(typeOf(parseExpr("foo + 1"))).toBe("vector");
    expect(typeOf(parseExpr("foo[5m]"))).toBe("matrix");
    expect(typeOf(parseExpr("foo[5m:]"))).toBe("matrix");
    expect(typeOf(parseExpr('"s"'))).toBe("string");
    expect(typeOf(parseExpr("scalar(foo)"))).toBe("scalar");
  });

  it("keeps offsets, @ and ranges in milliseconds", () => {
    const e = parseExpr("foo[1m30s] @ 12.345 offset -2h");
    expect(e.type).toBe("MatrixSelector");
    if (e.type !== "MatrixSelector") return;
    expect(e.rangeMs).toBe(90_000);
    expect(e.selector.offsetMs).toBe(-7_200_000);
    expect(e.selector.at).toEqual({ kind: "time", ms: 12_345 });
  });

  it("marks vector matching on vector/vector operations only", () => {
    const vv = parseExpr("a + b") as BinaryExpr;
    expect(vv.matching?.card).toBe("one-to-one");
    const set = parseExpr("a or b") as BinaryExpr;
    expect(set.matching?.card).toBe("many-to-many");
    const vs = parseExpr("a + 1") as BinaryExpr;
    expect(vs.matching).toBeUndefined();
  });

  it("rejects experimental functions when asked to", () => {
    expect(() => parseExpr('sort_by_label(foo, "a")', { experimental: false })).toThrow(/unknown function/);
    expect(() => parseExpr('sort_by_label(foo, "a")')).not.toThrow();
  });

  it("parses series selectors", () => {
    expect(parseSeriesSelector('up{job="api"}').map(String)).toEqual(['job="api"', '__name__="up"']);
    expect(() => parseSeriesSelector("rate(up[5m])")).toThrow(ParseError);
    expect(() => parseSeriesSelector("up offset 5m")).toThrow(ParseError);
  });
});

describe("parseExpr: properties", () => {
  const name = fc.constantFrom("up", "http_requests_total", "a:b", "sum", "by");
  const label = fc.constantFrom("job", "instance", "le", "on");
  const dur = fc.constantFrom("5m", "1h30m", "30s", "1d", "90s");
  // No Inf: like Prometheus, the printer writes `+Inf`, and `x + Inf ^ y` printed as `x + +Inf ^ y`
  // re-parses with a unary plus around `Inf ^ y` (same value, different tree).
  const num = fc.constantFrom("1", "0.5", "1e3", "NaN", "0x10");
  const selector = fc
    .tuple(
      name,
      fc.array(fc.tuple(label, fc.constantFrom("=", "!=", "=~", "!~"), fc.constantFrom("a", "b.*", "")), {
        maxLength: 2,
      }),
    )
    .map(([n, ms]) =>
      ms.length ? `${n}{${ms.map(([l, op, v]) => `${l}${op}${JSON.stringify(v)}`).join(",")}}` : n,
    );
  const vector: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
    v: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      selector,
      fc.tuple(selector, dur).map(([s, d]) => `rate(${s}[${d}])`),
      fc.tuple(selector, dur).map(([s, d]) => `${s} offset ${d}`),
      fc
        .tuple(fc.constantFrom("sum", "avg", "max"), fc.array(label, { maxLength: 2 }), tie("v"))
        .map(([op, ls, e]) => `${op} by (${ls.join(", ")}) (${e})`),
      fc
        .tuple(
          tie("v"),
          fc.constantFrom("+", "-", "*", "/", "^", "and", "or", "unless", "==", ">", "atan2"),
          tie("v"),
        )
        .map(([a, op, b]) => `${a} ${op} ${b}`),
      fc
        .tuple(tie("v"), fc.constantFrom("+", "*", "> bool", "%"), num)
        .map(([a, op, n]) => `${a} ${op} ${n}`),
      tie("v").map((e) => `-${e}`),
      tie("v").map((e) => `(${e})`),
      tie("v").map((e) => `abs(${e})`),
      fc.tuple(tie("v"), dur).map(([e, d]) => `max_over_time((${e})[${d}:])`),
      fc.tuple(num, tie("v")).map(([n, e]) => `topk(${n}, ${e})`),
    ),
  })).v;

  it("prints a canonical form that parses back to the same tree", () => {
    fc.assert(
      fc.property(vector, (text) => {
        let e: Expr;
        try {
          e = parseExpr(text);
        } catch (err) {
          // Generated text may be ill-typed (e.g. `a and 1`); it must then fail as a ParseError.
          expect(err).toBeInstanceOf(ParseError);
          return;
        }
        const printed = formatExpr(e);
        const again = parseExpr(printed);
        expect(formatExpr(again)).toBe(printed);
        expect(shape(again)).toBe(shape(e));
      }),
      { numRuns: 400 },
    );
  });

  it("only ever throws ParseError on arbitrary input", () => {
    const alphabet = fc.constantFrom(
      ..."ab_:{}[]()=~!<>+-*/^%@,.\"'`#\n 0123456789msh".split(""),
      "offset",
      "by",
      "sum",
      "rate",
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }), (parts) => {
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
