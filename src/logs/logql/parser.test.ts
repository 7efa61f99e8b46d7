import { describe, expect, it } from "vitest";
import { LogQLParseError } from "./errors.js";
import { parseLogQL } from "./parser.js";

const sel = { kind: "log", matchers: [{ name: "app", op: "=", value: "api" }] } as const;

/** Queries written after the examples of Loki's LogQL documentation → the AST pieces expected. */
const CASES: [string, unknown][] = [
  // stream selectors
  ['{app="api"}', { ...sel, pipeline: [] }],
  [
    '{app="api", env!="dev", pod=~"api-.+", ns!~"kube-.*"}',
    {
      matchers: [
        { name: "app", op: "=", value: "api" },
        { name: "env", op: "!=", value: "dev" },
        { name: "pod", op: "=~", value: "api-.+" },
        { name: "ns", op: "!~", value: "kube-.*" },
      ],
    },
  ],
  ['{app="api",}', { matchers: [{ name: "app" }] }],
  ['( {app="api"} )', { ...sel, pipeline: [] }],
  ['{app="a\\"b\\n"}', { matchers: [{ value: 'a"b\n' }] }],
  ["{app=`a\\b`}", { matchers: [{ value: "a\\b" }] }],
  ['{app="api"} # a comment\n |= "x"', { pipeline: [{ kind: "lineFilter", op: "|=" }] }],
  // line filters
  [
    '{app="api"} |= "error"',
    { pipeline: [{ kind: "lineFilter", op: "|=", values: [{ ip: false, value: "error" }] }] },
  ],
  ['{app="api"} != "debug"', { pipeline: [{ kind: "lineFilter", op: "!=" }] }],
  ['{app="api"} |~ "tsdb-ops.*io:2003"', { pipeline: [{ kind: "lineFilter", op: "|~" }] }],
  [
    '{app="api"} !~ "5\\\\d\\\\d"',
    { pipeline: [{ kind: "lineFilter", op: "!~", values: [{ value: "5\\d\\d" }] }] },
  ],
  ['{app="api"} |> "<_> level=error <_>"', { pipeline: [{ kind: "lineFilter", op: "|>" }] }],
  ['{app="api"} !> "<_> GET <_>"', { pipeline: [{ kind: "lineFilter", op: "!>" }] }],
  [
    '{app="api"} |= "error" or "fatal" or ip("10.0.0.1")',
    {
      pipeline: [
        {
          kind: "lineFilter",
          op: "|=",
          values: [
            { ip: false, value: "error" },
            { ip: false, value: "fatal" },
            { ip: true, value: "10.0.0.1" },
          ],
        },
      ],
    },
  ],
  ['{app="api"} != ip("192.168.4.5-192.168.4.20")', { pipeline: [{ op: "!=", values: [{ ip: true }] }] }],
  ['{app="api"} |= "a" |= "b"', { pipeline: [{ kind: "lineFilter" }, { kind: "lineFilter" }] }],
  // parsers
  ['{app="api"} | json', { pipeline: [{ kind: "json", params: [] }] }],
  [
    '{app="api"} | json first_server="servers[0]", ua="request.headers[\\"User-Agent\\"]", method',
    {
      pipeline: [
        {
          kind: "json",
          params: [
            { label: "first_server", expression: "servers[0]" },
            { label: "ua", expression: 'request.headers["User-Agent"]' },
            { label: "method" },
          ],
        },
      ],
    },
  ],
  ['{app="api"} | logfmt', { pipeline: [{ kind: "logfmt", strict: false, keepEmpty: false, params: [] }] }],
  [
    '{app="api"} | logfmt --strict --keep-empty host, user="request.user"',
    {
      pipeline: [
        {
          kind: "logfmt",
          strict: true,
          keepEmpty: true,
          params: [{ label: "host" }, { label: "user", expression: "request.user" }],
        },
      ],
    },
  ],
  [
    '{app="api"} | regexp "(?P<method>\\\\w+) (?P<path>[\\\\w|/]+)"',
    { pipeline: [{ kind: "regexp", regexp: "(?P<method>\\w+) (?P<path>[\\w|/]+)" }] },
  ],
  [
    '{app="api"} | pattern `<ip> - - <_> "<method> <uri> <_>" <status>`',
    { pipeline: [{ kind: "pattern", pattern: '<ip> - - <_> "<method> <uri> <_>" <status>' }] },
  ],
  ['{app="api"} | unpack', { pipeline: [{ kind: "unpack" }] }],
  // label filters
  [
    '{app="api"} | logfmt | level="error"',
    {
      pipeline: [
        { kind: "logfmt" },
        {
          kind: "labelFilter",
          filter: { kind: "matcher", matcher: { name: "level", op: "=", value: "error" } },
        },
      ],
    },
  ],
  [
    '{app="api"} | status >= 400',
    { pipeline: [{ kind: "labelFilter", filter: { kind: "number", name: "status", op: ">=", value: 400 } }] },
  ],
  ['{app="api"} | status = 200', { pipeline: [{ filter: { kind: "number", op: "==", value: 200 } }] }],
  ['{app="api"} | delta > -1.5', { pipeline: [{ filter: { kind: "number", op: ">", value: -1.5 } }] }],
  [
    '{app="api"} | duration > 1.5s',
    { pipeline: [{ filter: { kind: "duration", name: "duration", op: ">", value: 1.5, text: "1.5s" } }] },
  ],
  ['{app="api"} | latency <= 250ms', { pipeline: [{ filter: { kind: "duration", value: 0.25 } }] }],
  ['{app="api"} | d < 1h30m', { pipeline: [{ filter: { kind: "duration", value: 5400 } }] }],
  [
    '{app="api"} | size > 20MB',
    { pipeline: [{ filter: { kind: "bytes", name: "size", op: ">", value: 20e6, text: "20MB" } }] },
  ],
  ['{app="api"} | size != 1KiB', { pipeline: [{ filter: { kind: "bytes", op: "!=", value: 1024 } }] }],
  [
    '{app="api"} | addr = ip("192.168.0.0/16")',
    { pipeline: [{ filter: { kind: "ip", name: "addr", op: "=", value: "192.168.0.0/16" } }] },
  ],
  [
    '{app="api"} | duration >= 20ms or method="GET" and size <= 20KB',
    {
      pipeline: [
        {
          filter: {
            kind: "or",
            left: { kind: "duration" },
            right: { kind: "and", left: { kind: "matcher" }, right: { kind: "bytes" } },
          },
        },
      ],
    },
  ],
  [
    '{app="api"} | (duration >= 20ms or method="GET") and size <= 20KB',
    { pipeline: [{ filter: { kind: "and", left: { kind: "or" }, right: { kind: "bytes" } } }] },
  ],
  [
    '{app="api"} | a="1", b="2" c="3"',
    { pipeline: [{ filter: { kind: "and", left: { kind: "and" }, right: { kind: "matcher" } } }] },
  ],
  ['{app="api"} | __error__=""', { pipeline: [{ filter: { matcher: { name: "__error__", value: "" } } }] }],
  ['{app="api"} | __error__!~"JSON.*"', { pipeline: [{ filter: { matcher: { op: "!~" } } }] }],
  // formatting and label stages
  [
    '{app="api"} | line_format "{{.query}} {{.duration | printf \\"%s\\"}}"',
    { pipeline: [{ kind: "lineFormat", template: '{{.query}} {{.duration | printf "%s"}}' }] },
  ],
  [
    '{app="api"} | label_format dst=src, msg="{{.level}}: {{.msg}}"',
    {
      pipeline: [
        {
          kind: "labelFormat",
          ops: [
            { dst: "dst", value: "src", template: false },
            { dst: "msg", value: "{{.level}}: {{.msg}}", template: true },
          ],
        },
      ],
    },
  ],
  [
    '{app="api"} | drop level, method="GET", pod=~"x.*"',
    {
      pipeline: [
        {
          kind: "drop",
          labels: [
            { name: "level" },
            { matcher: { name: "method", op: "=", value: "GET" } },
            { matcher: { name: "pod", op: "=~" } },
          ],
        },
      ],
    },
  ],
  [
    '{app="api"} | keep level, status!="200"',
    { pipeline: [{ kind: "keep", labels: [{ name: "level" }, {}] }] },
  ],
  ['{app="api"} | decolorize', { pipeline: [{ kind: "decolorize" }] }],
  // range aggregations
  [
    'count_over_time({app="api"}[5m])',
    { kind: "rangeAggregation", op: "count_over_time", range: { log: sel, rangeMs: 300_000 } },
  ],
  [
    'rate({app="api"} |= "error" [1m] offset 1h)',
    {
      op: "rate",
      range: { rangeMs: 60_000, offsetMs: 3_600_000, log: { pipeline: [{ kind: "lineFilter" }] } },
    },
  ],
  ['rate({app="api"}[1m] |= "error")', { range: { log: { pipeline: [{ kind: "lineFilter" }] } } }],
  ['bytes_over_time(({app="api"} | json)[1h])', { op: "bytes_over_time", range: { rangeMs: 3_600_000 } }],
  ['bytes_rate({app="api"}[30s])', { op: "bytes_rate", range: { rangeMs: 30_000 } }],
  ['absent_over_time({app="api"}[1d])', { op: "absent_over_time", range: { rangeMs: 86_400_000 } }],
  [
    'sum_over_time({app="api"} | logfmt | unwrap bytes_sent [5m])',
    { op: "sum_over_time", range: { unwrap: { label: "bytes_sent", filters: [] } } },
  ],
  [
    'quantile_over_time(0.99, {app="api"} | json | unwrap duration(latency) | __error__="" [5m] offset 10m) by (path)',
    {
      op: "quantile_over_time",
      param: 0.99,
      range: {
        offsetMs: 600_000,
        unwrap: { label: "latency", conversion: "duration", filters: [{ kind: "matcher" }] },
      },
      grouping: { without: false, labels: ["path"] },
    },
  ],
  [
    'avg_over_time({app="api"} | unwrap duration_seconds(d) [1m]) without (pod, instance)',
    { op: "avg_over_time", grouping: { without: true, labels: ["pod", "instance"] } },
  ],
  [
    'max_over_time({app="api"} | unwrap bytes(size) [1m]) by ()',
    { grouping: { without: false, labels: [] } },
  ],
  ['min_over_time({app="api"} | unwrap x [1m])', { op: "min_over_time" }],
  ['first_over_time({app="api"} | unwrap x [1m])', { op: "first_over_time" }],
  ['last_over_time({app="api"} | unwrap x [1m])', { op: "last_over_time" }],
  ['stddev_over_time({app="api"} | unwrap x [1m])', { op: "stddev_over_time" }],
  ['stdvar_over_time({app="api"} | unwrap x [1m])', { op: "stdvar_over_time" }],
  ['rate_counter({app="api"} | unwrap x [1m])', { op: "rate_counter" }],
  ['rate({app="api"} | unwrap x [1m])', { op: "rate", range: { unwrap: { label: "x" } } }],
  // vector aggregations
  [
    'sum by (level) (count_over_time({app="api"} | json [1m]))',
    {
      kind: "vectorAggregation",
      op: "sum",
      grouping: { without: false, labels: ["level"] },
      expr: { kind: "rangeAggregation" },
    },
  ],
  ['sum(rate({app="api"}[1m])) without (pod)', { op: "sum", grouping: { without: true, labels: ["pod"] } }],
  ['topk(10, sum by (path) (rate({app="api"}[5m])))', { op: "topk", param: 10, expr: { op: "sum" } }],
  ['bottomk by (ns) (3, rate({app="api"}[5m]))', { op: "bottomk", param: 3, grouping: { labels: ["ns"] } }],
  ['avg(rate({app="api"}[1m]))', { op: "avg" }],
  ['min(rate({app="api"}[1m]))', { op: "min" }],
  ['max(rate({app="api"}[1m]))', { op: "max" }],
  ['count(rate({app="api"}[1m]))', { op: "count" }],
  ['stddev(rate({app="api"}[1m]))', { op: "stddev" }],
  ['stdvar(rate({app="api"}[1m]))', { op: "stdvar" }],
  ['sort(rate({app="api"}[1m]))', { op: "sort" }],
  ['sort_desc(rate({app="api"}[1m]))', { op: "sort_desc" }],
  // binary operators, literals, label_replace, vector
  [
    "vector(1)+vector(1)",
    {
      kind: "binary",
      op: "+",
      returnBool: false,
      lhs: { kind: "vector", value: 1 },
      rhs: { kind: "vector", value: 1 },
    },
  ],
  [
    "1 + 2 * 3 ^ 2 ^ 1",
    {
      op: "+",
      lhs: { value: 1 },
      rhs: { op: "*", lhs: { value: 2 }, rhs: { op: "^", lhs: { value: 3 }, rhs: { op: "^" } } },
    },
  ],
  ["(1 + 2) * 3", { op: "*", lhs: { op: "+" } }],
  ["1 - 2 - 3", { op: "-", lhs: { op: "-" }, rhs: { value: 3 } }],
  ["-1.5e3", { kind: "number", value: -1500 }],
  ["0x1F", { kind: "number", value: 31 }],
  [
    "vector(1) or vector(2) and vector(3) unless vector(4)",
    { op: "or", rhs: { op: "unless", lhs: { op: "and" } } },
  ],
  [
    'sum by (a) (rate({app="api"}[1m])) > bool on (a) group_left (b) sum by (a, b) (rate({app="api"}[1m]))',
    {
      op: ">",
      returnBool: true,
      matching: { on: true, labels: ["a"], group: { side: "left", include: ["b"] } },
    },
  ],
  [
    'rate({app="api"}[1m]) / ignoring (pod) group_right rate({app="api"}[1m])',
    { op: "/", matching: { on: false, labels: ["pod"], group: { side: "right", include: [] } } },
  ],
  ['rate({app="api"}[1m]) % 2 == 0', { op: "==", lhs: { op: "%" } }],
  [
    'label_replace(rate({app="api"}[1m]), "foo", "$1", "app", "(.*)")',
    { kind: "labelReplace", dst: "foo", replacement: "$1", src: "app", regex: "(.*)", expr: { op: "rate" } },
  ],
  ["vector(-2)", { kind: "vector", value: -2 }],
  ['(sum(rate({app="api"}[1m])))', { kind: "vectorAggregation", op: "sum" }],
];

describe("parseLogQL", () => {
  it.each(CASES)("%s", (query, expected) => {
    expect(parseLogQL(query)).toMatchObject(expected as object);
  });

  it("accepts keywords as label names in selectors", () => {
    expect(parseLogQL('{by="x", json="y", or="z"}')).toMatchObject({ matchers: [{ name: "by" }, {}, {}] });
  });
});

/** Invalid queries → the reason and the 1-based line and column reported. */
const ERRORS: [string, RegExp, number, number][] = [
  ["", /unexpected end of query/, 1, 1],
  ['{app="api"', /unexpected end of query, expecting "}"/, 1, 11],
  ["{}", /unexpected }, expecting a label matcher/, 1, 1],
  ['{app=""}', /at least one matcher that does not match the empty string/, 1, 1],
  ['{app=~".*"}', /does not match the empty string/, 1, 1],
  ['{app="api"} |= "x', /unterminated string/, 1, 16],
  ['{app="api"}\n  | logfmt --loose', /invalid logfmt flag --loose/, 2, 12],
  ['{app="api"} |~ "("', /invalid regexp/, 1, 16],
  ['{app=~"("}', /invalid regular expression/, 1, 5],
  ['{app="api"} | unwrap x', /unwrap is only allowed inside a range aggregation/, 1, 15],
  ['sum_over_time({app="api"}[1m])', /invalid aggregation sum_over_time without unwrap/, 1, 1],
  ['count_over_time({app="api"} | unwrap x [1m])', /invalid aggregation count_over_time with unwrap/, 1, 1],
  ['count_over_time({app="api"}[1m]) by (a)', /grouping not allowed for count_over_time/, 1, 1],
  ['rate({app="api"})', /unexpected token \), expecting "\["/, 1, 17],
  ['rate({app="api"}[0s])', /must be a positive duration/, 1, 18],
  ['topk(1.5, rate({app="api"}[1m]))', /must be a positive integer/, 1, 6],
  ['sum(rate({app="api"}[1m])) + {app="api"}', /log query cannot be an operand/, 1, 30],
  ['{app="api"} + 1', /binary operations need metric queries/, 1, 13],
  ['sum({app="api"})', /expecting a metric query, found a log query/, 1, 5],
  ["1 + bool 2", /bool modifier can only be used on comparisons/, 1, 5],
  ["vector(1) and on () group_left vector(1)", /no grouping allowed for "and"/, 1, 21],
  ['sort by (a) (rate({app="api"}[1m]))', /grouping not allowed for sort/, 1, 1],
  ['{app="api"} | label_format a=b, a="x"', /label a is set twice in one label_format/, 1, 33],
  ['{app="api"} | x =~ 5', /expecting a string/, 1, 20],
  ['{app="api"} | x > "5"', /expecting a number, a duration or bytes/, 1, 19],
  ["foo(1)", /unexpected IDENTIFIER foo/, 1, 1],
  ['rate({app="api"}[1m]) extra', /expecting end of query/, 1, 23],
  ["{app='api'}", /unexpected character "'"/, 1, 6],
  ["vector(1e999)", /number 1e999 out of range/, 1, 8],
  ['{app="api"} | x > 5zz', /invalid number, duration or bytes "5zz"/, 1, 19],
  ['{app="api"} |= ip("1.2.3.4") |~ ip("1.2.3.4")', /ip\(\) cannot be used with \|~/, 1, 33],
];

describe("parse errors", () => {
  it("refuses deep nesting with a parse error, not a stack overflow", () => {
    for (const q of [
      "(".repeat(100_000),
      `${"2 ^ ".repeat(20_000)}2`,
      `${"-1 + ".repeat(20_000)}1`,
      `{app="api"} | ${Array(20_000).fill('a="1"').join(" or ")}`,
      `{app="api"} | ${"(".repeat(50_000)}`,
    ]) {
      expect(() => parseLogQL(q)).toThrow(LogQLParseError);
    }
    expect(parseLogQL(`${"(".repeat(100)}1${")".repeat(100)}`)).toEqual({ kind: "number", value: 1 });
    expect(parseLogQL(`${"-1 + ".repeat(400)}1`)).toMatchObject({ kind: "binary", op: "+" });
  });

  it.each(ERRORS)("%s", (query, reason, line, column) => {
    let caught: unknown;
    try {
      parseLogQL(query);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LogQLParseError);
    const e = caught as LogQLParseError;
    expect(e.reason).toMatch(reason);
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.message).toBe(`parse error at line ${line}, col ${column}: ${e.reason}`);
  });
});
