import type { Matcher } from "../../model/matcher.js";
import { type AtModifier, type Expr, formatExpr, type VectorSelector } from "../promql/index.js";

/** A node of the tree `/api/v1/parse_query` returns. */
export type AstNode = { readonly [key: string]: unknown } | null;

/**
 * The JSON tree of `/api/v1/parse_query`, as Prometheus's `translateAST` builds it for its UI: node
 * `type`s `vectorSelector`, `matrixSelector`, `subquery`, `binaryExpr`, `aggregation`, `call`,
 * `numberLiteral`, `stringLiteral`, `parenExpr`, `unaryExpr`; durations and offsets in ms; `@` as
 * `timestamp` (ms) or `startOrEnd`; the experimental `fill` modifiers as `matching.fillValues`
 * and `anchored`/`smoothed` as booleans on selectors. A duration written as an expression is 0, as
 * Prometheus leaves it before evaluation. Go writes these maps with sorted keys (serialise with
 * `goJSON(tree, true)`). Left out: a subquery's `alignEvalTime`, which this parser has no syntax for.
 */
export function astJSON(e: Expr): AstNode {
  switch (e.type) {
    case "AggregateExpr":
      return {
        type: "aggregation",
        op: e.op,
        expr: astJSON(e.expr),
        param: e.param ? astJSON(e.param) : null,
        grouping: [...e.grouping],
        without: e.without,
      };
    case "BinaryExpr":
      return {
        type: "binaryExpr",
        op: e.op,
        lhs: astJSON(e.lhs),
        rhs: astJSON(e.rhs),
        matching: e.matching
          ? {
              card: e.matching.card,
              labels: [...e.matching.labels],
              on: e.matching.on,
              include: [...e.matching.include],
              fillValues: { lhs: e.matching.fill?.lhs ?? null, rhs: e.matching.fill?.rhs ?? null },
            }
          : null,
        bool: e.returnBool,
      };
    case "Call":
      return {
        type: "call",
        func: {
          name: e.func.name,
          argTypes: [...e.func.argTypes],
          variadic: e.func.variadic,
          returnType: e.func.returnType,
        },
        args: e.args.map(astJSON),
      };
    case "MatrixSelector":
      return {
        type: "matrixSelector",
        name: e.selector.name,
        range: e.rangeMs,
        offset: e.selector.offsetMs,
        matchers: matchersJSON(e.selector.matchers),
        ...atJSON(e.selector.at),
        ...extendedJSON(e.selector),
      };
    case "SubqueryExpr":
      return {
        type: "subquery",
        expr: astJSON(e.expr),
        range: e.rangeMs,
        offset: e.offsetMs,
        step: e.stepMs,
        ...atJSON(e.at),
      };
    case "NumberLiteral":
      // Go's strconv.FormatFloat(v, 'f', -1, 64): the printer's form of a plain number literal.
      return { type: "numberLiteral", val: formatExpr({ ...e, durationForm: false }) };
    case "ParenExpr":
      return { type: "parenExpr", expr: astJSON(e.expr) };
    case "StringLiteral":
      return { type: "stringLiteral", val: e.value };
    case "UnaryExpr":
      return { type: "unaryExpr", op: e.op, expr: astJSON(e.expr) };
    case "VectorSelector":
      return {
        type: "vectorSelector",
        name: e.name,
        offset: e.offsetMs,
        matchers: matchersJSON(e.matchers),
        ...atJSON(e.at),
        ...extendedJSON(e),
      };
  }
}

function matchersJSON(matchers: readonly Matcher[]): { name: string; value: string; type: string }[] {
  return matchers.map((m) => ({ name: m.name, value: m.value, type: m.type }));
}

function extendedJSON(vs: VectorSelector): { anchored: boolean; smoothed: boolean } {
  return { anchored: vs.extended === "anchored", smoothed: vs.extended === "smoothed" };
}

function atJSON(at: AtModifier | undefined): { timestamp: number | null; startOrEnd: string | null } {
  if (at === undefined) return { timestamp: null, startOrEnd: null };
  return at.kind === "time"
    ? { timestamp: at.ms, startOrEnd: null }
    : { timestamp: null, startOrEnd: at.kind };
}
