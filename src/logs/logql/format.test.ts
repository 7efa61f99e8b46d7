import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type {
  BinaryExpr,
  BinaryOp,
  Expr,
  Grouping,
  LabelFilter,
  LabelMatcher,
  LogQueryExpr,
  LogRange,
  MetricExpr,
  RangeAggregationExpr,
  RangeOp,
  Stage,
  Unwrap,
  VectorAggregationExpr,
  VectorMatching,
  VectorOp,
} from "./ast.js";
import { RANGE_OPS, UNWRAP_RANGE_OPS } from "./ast.js";
import { formatLogQL } from "./format.js";
import { parseLogQL } from "./parser.js";
import { parseBytes, parseGoDurationSeconds } from "./units.js";

/** Query as written → canonical form. */
const CANONICAL: [string, string][] = [
  ['{app="api",env=~"prod|staging"}', '{app="api", env=~"prod|staging"}'],
  ["{app=`a\\b`}", '{app="a\\\\b"}'],
  [
    '{app="api"}|="x" or ip("1.1.1.1")|json a="b",c|logfmt --keep-empty|x>5s,y<20MB|drop a,b="c"',
    '{app="api"} |= "x" or ip("1.1.1.1") | json a="b", c | logfmt --keep-empty | x > 5s and y < 20MB | drop a, b="c"',
  ],
  ['{app="api"} | a="1" or (b="2" or c="3")', '{app="api"} | a="1" or (b="2" or c="3")'],
  ['{app="api"} | (a="1" or b="2") , c="3"', '{app="api"} | (a="1" or b="2") and c="3"'],
  ['{app="api"} | x = 3', '{app="api"} | x == 3'],
  ['rate({app="api"}[90s] |= "x")', 'rate({app="api"} |= "x" [1m30s])'],
  [
    'quantile_over_time(0.9,{app="api"}|unwrap duration(d)|__error__=""[5m]offset 1h)by(a)',
    'quantile_over_time(0.9, {app="api"} | unwrap duration(d) | __error__="" [5m] offset 1h) by (a)',
  ],
  ['sum(rate({app="api"}[1m])) by (a)', 'sum by (a) (rate({app="api"} [1m]))'],
  ["vector(1)+vector(1)", "vector(1) + vector(1)"],
  ["(1 + 2) * 3 ^ (4 ^ 5)", "(1 + 2) * 3 ^ 4 ^ 5"],
  ["(2 ^ 3) ^ 4", "(2 ^ 3) ^ 4"],
  ["1 - (2 - 3)", "1 - (2 - 3)"],
  ["1 > bool on(a) group_left 2", "1 > bool on (a) group_left () 2"],
];

describe("formatLogQL", () => {
  it.each(CANONICAL)("%s", (query, canonical) => {
    const formatted = formatLogQL(parseLogQL(query));
    expect(formatted).toBe(canonical);
    expect(parseLogQL(formatted)).toEqual(parseLogQL(query));
  });
});

// ---- generated ASTs: parse(format(e)) equals e ----

const NAMES = ["app", "level", "status", "pod", "latency", "size", "__error__", "ns", "x_1", "by", "or"];
const FILTER_NAMES = NAMES.filter((n) => n !== "by" && n !== "or");
const REGEXPS = [".*", ".+", "a|b", "(?P<x>\\w+) (?P<y>\\d+)", "[a-z]{2,3}", "\\.", ""];

const name = fc.constantFrom(...NAMES);
const filterName = fc.constantFrom(...FILTER_NAMES);
const text = fc.string({ unit: "binary", maxLength: 8 });
const number = fc.double({ noNaN: true, noDefaultInfinity: true });
const regexp = fc.constantFrom(...REGEXPS);

const matcher: fc.Arbitrary<LabelMatcher> = fc.oneof(
  fc.record({ name, op: fc.constantFrom("=" as const, "!=" as const), value: text }),
  fc.record({ name, op: fc.constantFrom("=~" as const, "!~" as const), value: regexp }),
);

const selector: fc.Arbitrary<LabelMatcher[]> = fc
  .tuple(fc.record({ name, value: text.filter((s) => s !== "") }), fc.array(matcher, { maxLength: 3 }))
  .map(([first, rest]) => [{ name: first.name, op: "=" as const, value: first.value }, ...rest]);

const compareOp = fc.constantFrom(
  "==" as const,
  "!=" as const,
  ">" as const,
  ">=" as const,
  "<" as const,
  "<=" as const,
);
const durationText = fc
  .tuple(fc.nat(1000), fc.constantFrom("ns", "us", "ms", "s", "m", "h", "d"), fc.option(fc.nat(99)))
  .map(([n, unit, frac]) => (frac === null ? `${n}${unit}` : `${n}.${frac}${unit}`));
const bytesText = fc
  .tuple(fc.nat(1000), fc.constantFrom("b", "kb", "KiB", "MB", "mib", "GB", "TiB"))
  .map(([n, unit]) => `${n}${unit}`);

const leafFilter: fc.Arbitrary<LabelFilter> = fc.oneof(
  matcher.map((m) => ({ kind: "matcher" as const, matcher: m })),
  fc.record({
    kind: fc.constant("ip" as const),
    name: filterName,
    op: fc.constantFrom("=" as const, "!=" as const),
    value: fc.constantFrom("10.0.0.1", "192.168.0.0/16", "::1"),
  }),
  fc.record({ kind: fc.constant("number" as const), name: filterName, op: compareOp, value: number }),
  fc.tuple(filterName, compareOp, durationText).map(([n, op, t]) => ({
    kind: "duration" as const,
    name: n,
    op,
    value: parseGoDurationSeconds(t)!,
    text: t,
  })),
  fc
    .tuple(filterName, compareOp, bytesText)
    .map(([n, op, t]) => ({ kind: "bytes" as const, name: n, op, value: parseBytes(t), text: t })),
);

const labelFilter: fc.Arbitrary<LabelFilter> = fc.letrec<{ f: LabelFilter }>((tie) => ({
  f: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafFilter,
    fc.record({ kind: fc.constantFrom("and" as const, "or" as const), left: tie("f"), right: tie("f") }),
  ),
})).f;

const params = fc.array(
  fc.oneof(
    filterName.map((label) => ({ label })),
    fc.record({ label: filterName, expression: text }),
  ),
  { maxLength: 3 },
);
const selection = fc.oneof(
  filterName.map((n) => ({ name: n })),
  matcher.map((m) => ({ matcher: m })),
);

const stage: fc.Arbitrary<Stage> = fc.oneof(
  fc
    .oneof(
      fc.record({
        kind: fc.constant("lineFilter" as const),
        op: fc.constantFrom("|=" as const, "!=" as const, "|>" as const, "!>" as const),
        values: fc.array(
          fc.oneof(
            text.map((value) => ({ ip: false, value })),
            fc.constantFrom("1.2.3.4", "10.0.0.0/8").map((value) => ({ ip: true, value })),
          ),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      fc.record({
        kind: fc.constant("lineFilter" as const),
        op: fc.constantFrom("|~" as const, "!~" as const),
        values: fc.array(
          regexp.map((value) => ({ ip: false, value })),
          { minLength: 1, maxLength: 2 },
        ),
      }),
    )
    .map((s) =>
      s.op === "|>" || s.op === "!>"
        ? { ...s, values: s.values.map((v) => ({ ip: false, value: v.value })) }
        : s,
    ),
  fc.record({ kind: fc.constant("json" as const), params }),
  fc.record({ kind: fc.constant("logfmt" as const), strict: fc.boolean(), keepEmpty: fc.boolean(), params }),
  fc.record({ kind: fc.constant("regexp" as const), regexp }),
  fc.record({ kind: fc.constant("pattern" as const), pattern: text }),
  fc.constant({ kind: "unpack" as const }),
  fc.constant({ kind: "decolorize" as const }),
  fc.record({ kind: fc.constant("labelFilter" as const), filter: labelFilter }),
  fc.record({ kind: fc.constant("lineFormat" as const), template: text }),
  fc.record({
    kind: fc.constant("labelFormat" as const),
    ops: fc.uniqueArray(filterName, { minLength: 1, maxLength: 3 }).chain((dsts) =>
      fc.tuple(
        ...dsts.map((dst) =>
          fc.oneof(
            filterName.map((value) => ({ dst, value, template: false })),
            text.map((value) => ({ dst, value, template: true })),
          ),
        ),
      ),
    ),
  }),
  fc.record({
    kind: fc.constantFrom("drop" as const, "keep" as const),
    labels: fc.array(selection, { minLength: 1, maxLength: 3 }),
  }),
);

const logQuery: fc.Arbitrary<LogQueryExpr> = fc.record({
  kind: fc.constant("log" as const),
  matchers: selector,
  pipeline: fc.array(stage, { maxLength: 4 }).filter(expressible),
});

/**
 * `| drop a != "x"` is a matcher in LogQL (as in Loki's grammar), so a `drop`/`keep` ending in a bare
 * name directly followed by a `!=`/`!~` line filter has no text form; the parser never builds one.
 */
function expressible(pipeline: Stage[]): boolean {
  return pipeline.every((s, i) => {
    const next = pipeline[i + 1];
    if ((s.kind !== "drop" && s.kind !== "keep") || next?.kind !== "lineFilter") return true;
    const last = s.labels[s.labels.length - 1]!;
    return !("name" in last) || (next.op !== "!=" && next.op !== "!~");
  });
}

const grouping: fc.Arbitrary<Grouping> = fc.record({
  without: fc.boolean(),
  labels: fc.array(name, { maxLength: 3 }),
});

const unwrap: fc.Arbitrary<Unwrap> = fc
  .record({
    label: filterName,
    conversion: fc.option(
      fc.constantFrom("duration" as const, "duration_seconds" as const, "bytes" as const),
    ),
    filters: fc.array(labelFilter, { maxLength: 2 }),
  })
  .map(({ conversion, ...rest }) => (conversion === null ? rest : { ...rest, conversion }));

/** Every property of T spelled out, `undefined` standing for an absent optional one. */
type Spelled<T> = { [K in keyof T]-?: T[K] | undefined };

function omitUndefined<T>(o: Spelled<T>): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const rangeAggregation: fc.Arbitrary<MetricExpr> = fc
  .record({
    op: fc.constantFrom(...RANGE_OPS),
    log: logQuery,
    rangeMs: fc.integer({ min: 1, max: 10 ** 11 }),
    offsetMs: fc.option(fc.integer({ min: 0, max: 10 ** 10 })),
    unwrap,
    withUnwrap: fc.boolean(),
    grouping: fc.option(grouping),
    param: number,
  })
  .map((r) => {
    const op: RangeOp = r.op;
    const hasUnwrap = UNWRAP_RANGE_OPS.has(op) || (op === "rate" && r.withUnwrap);
    const range = omitUndefined<LogRange>({
      log: r.log,
      rangeMs: r.rangeMs,
      offsetMs: r.offsetMs ?? undefined,
      unwrap: hasUnwrap ? r.unwrap : undefined,
    });
    return omitUndefined<RangeAggregationExpr>({
      kind: "rangeAggregation",
      op,
      param: op === "quantile_over_time" ? r.param : undefined,
      range,
      grouping: hasUnwrap ? (r.grouping ?? undefined) : undefined,
    });
  });

const BINARY_OPS: BinaryOp[] = [
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
  "==",
  "!=",
  ">",
  ">=",
  "<",
  "<=",
  "and",
  "or",
  "unless",
];
const COMPARISONS = new Set<BinaryOp>(["==", "!=", ">", ">=", "<", "<="]);
const VECTOR_OPS: VectorOp[] = [
  "sum",
  "avg",
  "min",
  "max",
  "count",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "sort",
  "sort_desc",
];

const metric: fc.Arbitrary<MetricExpr> = fc.letrec<{ m: MetricExpr }>((tie) => ({
  m: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    number.map((value) => ({ kind: "number" as const, value })),
    number.map((value) => ({ kind: "vector" as const, value })),
    rangeAggregation,
    fc
      .record({
        op: fc.constantFrom(...VECTOR_OPS),
        k: fc.integer({ min: 1, max: 100 }),
        grouping: fc.option(grouping),
        expr: tie("m"),
      })
      .map((r) =>
        omitUndefined<VectorAggregationExpr>({
          kind: "vectorAggregation",
          op: r.op,
          param: r.op === "topk" || r.op === "bottomk" ? r.k : undefined,
          grouping: r.op === "sort" || r.op === "sort_desc" ? undefined : (r.grouping ?? undefined),
          expr: r.expr,
        }),
      ),
    fc
      .record({
        op: fc.constantFrom(...BINARY_OPS),
        returnBool: fc.boolean(),
        on: fc.option(fc.record({ on: fc.boolean(), labels: fc.array(name, { maxLength: 2 }) })),
        group: fc.option(
          fc.record({
            side: fc.constantFrom("left" as const, "right" as const),
            include: fc.array(name, { maxLength: 2 }),
          }),
        ),
        lhs: tie("m"),
        rhs: tie("m"),
      })
      .map((r) => {
        const setOp = r.op === "and" || r.op === "or" || r.op === "unless";
        const matching =
          r.on === null
            ? undefined
            : omitUndefined<VectorMatching>({ ...r.on, group: setOp ? undefined : (r.group ?? undefined) });
        return omitUndefined<BinaryExpr>({
          kind: "binary",
          op: r.op,
          returnBool: COMPARISONS.has(r.op) && r.returnBool,
          matching,
          lhs: r.lhs,
          rhs: r.rhs,
        });
      }),
    fc.record({
      kind: fc.constant("labelReplace" as const),
      expr: tie("m"),
      dst: filterName,
      replacement: text,
      src: filterName,
      regex: regexp,
    }),
  ),
})).m;

const expr: fc.Arbitrary<Expr> = fc.oneof(logQuery, metric);

describe("round trip", () => {
  it("parse(format(e)) equals e for generated ASTs", () => {
    fc.assert(
      fc.property(expr, (e) => {
        expect(parseLogQL(formatLogQL(e))).toEqual(e);
      }),
      { numRuns: 500 },
    );
  });

  it("format is idempotent on parsed queries", () => {
    fc.assert(
      fc.property(expr, (e) => {
        const once = formatLogQL(e);
        expect(formatLogQL(parseLogQL(once))).toBe(once);
      }),
      { numRuns: 200 },
    );
  });
});

describe("fuzz", () => {
  it("a mutated valid query either parses and round-trips or throws LogQLParseError", () => {
    const mutation = fc.tuple(
      fc.nat(),
      fc.constantFrom("", " ", "(", ")", "|", ",", '"', "[", "1", "x", "=", "or "),
    );
    fc.assert(
      fc.property(expr, fc.array(mutation, { minLength: 1, maxLength: 3 }), (e, mutations) => {
        let q = formatLogQL(e);
        for (const [at, insert] of mutations) {
          const i = at % (q.length + 1);
          q = q.slice(0, i) + insert + q.slice(i + (insert === "" ? 1 : 0));
        }
        try {
          const parsed = parseLogQL(q);
          expect(parseLogQL(formatLogQL(parsed))).toEqual(parsed);
        } catch (err) {
          expect((err as Error).name).toBe("LogQLParseError");
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("throws only LogQLParseError on arbitrary input", () => {
    const alphabet = fc.constantFrom(
      ...'{}()[],=!~|<>+-*/%^"` \n#0123456789.abemsxyz_'.split(""),
      "json",
      "logfmt",
      "unwrap",
      "rate(",
      "sum",
      " by ",
      " or ",
      " and ",
      "ip(",
      "--strict",
      '{app="x"}',
      "[5m]",
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }), (parts) => {
        try {
          const e = parseLogQL(parts.join(""));
          expect(parseLogQL(formatLogQL(e))).toEqual(e);
        } catch (err) {
          expect((err as Error).name).toBe("LogQLParseError");
        }
      }),
      { numRuns: 3000 },
    );
  });
});
