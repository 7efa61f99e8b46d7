import type { Matcher } from "../../model/matcher.js";
import type { DurationExpr } from "./duration-expr.js";
import type { PositionRange } from "./errors.js";
import type { FunctionSignature } from "./function-signatures.js";

/**
 * The PromQL syntax tree. Nodes are plain objects discriminated by `type`, as produced by
 * `parseExpr`; treat them as immutable once parsed. Durations and offsets are milliseconds;
 * positions are 0-based character ranges into the query text.
 */

/** The four PromQL value types. "vector" is an instant vector, "matrix" a range vector. */
export type ValueType = "scalar" | "vector" | "matrix" | "string";

/** Arithmetic operators. */
export type ArithmeticOp = "+" | "-" | "*" | "/" | "%" | "^" | "atan2";
/** Comparison operators (filters, or 0/1 with `bool`). */
export type ComparisonOp = "==" | "!=" | "<" | "<=" | ">" | ">=";
/** Set operators (many-to-many, vectors only). */
export type SetOp = "and" | "or" | "unless";
/** Every binary operator. */
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

/** The aggregation operators, including the experimental `limitk` and `limit_ratio`. */
export type AggregateOp =
  | "sum"
  | "avg"
  | "count"
  | "min"
  | "max"
  | "group"
  | "stddev"
  | "stdvar"
  | "topk"
  | "bottomk"
  | "quantile"
  | "count_values"
  | "limitk"
  | "limit_ratio";

/** The `@` modifier: a fixed time in ms, or the query's start or end. */
export type AtModifier =
  | { readonly kind: "time"; readonly ms: number }
  | { readonly kind: "start" }
  | { readonly kind: "end" };

/** A number literal; `durationForm` when written as a duration such as `5m` (value in seconds). */
export interface NumberLiteral {
  readonly type: "NumberLiteral";
  readonly value: number;
  readonly durationForm: boolean;
  readonly pos: PositionRange;
}

/** A string literal (the unquoted value). */
export interface StringLiteral {
  readonly type: "StringLiteral";
  readonly value: string;
  readonly pos: PositionRange;
}

/** An instant vector selector. `name` is "" when the metric name is only in the matchers (or absent). */
export interface VectorSelector {
  readonly type: "VectorSelector";
  readonly name: string;
  /** All matchers, including `__name__="<name>"` when a name was written outside the braces. */
  readonly matchers: readonly Matcher[];
  /** `offset`, ms; negative looks forward. */
  offsetMs: number;
  /** An `offset` written as a duration expression; the engine resolves it into `offsetMs` per query. */
  offsetExpr?: DurationExpr;
  at: AtModifier | undefined;
  /**
   * The experimental `anchored` / `smoothed` modifier (Prometheus's extended range selectors):
   * boundary samples from before (and for `smoothed`, after) the window are used or interpolated.
   */
  extended?: ExtendedRange;
  pos: PositionRange;
}

/** The extended range selector modifiers. */
export type ExtendedRange = "anchored" | "smoothed";

/**
 * A range vector selector `sel[range]`; its `offset`, `@` and `anchored`/`smoothed` live on the
 * inner selector. With `rangeExpr`, `rangeMs` is 0 until the engine resolves the expression.
 */
export interface MatrixSelector {
  readonly type: "MatrixSelector";
  readonly selector: VectorSelector;
  readonly rangeMs: number;
  readonly rangeExpr?: DurationExpr;
  pos: PositionRange;
}

/**
 * A subquery `expr[range:step]`; `stepMs` 0 means the engine's default resolution. Parts written as
 * duration expressions keep them in `rangeExpr`/`stepExpr`/`offsetExpr` until the engine resolves them.
 */
export interface SubqueryExpr {
  readonly type: "SubqueryExpr";
  readonly expr: Expr;
  readonly rangeMs: number;
  readonly rangeExpr?: DurationExpr;
  readonly stepMs: number;
  readonly stepExpr?: DurationExpr;
  offsetMs: number;
  offsetExpr?: DurationExpr;
  at: AtModifier | undefined;
  pos: PositionRange;
}

/** A function call. */
export interface Call {
  readonly type: "Call";
  readonly func: FunctionSignature;
  readonly args: readonly Expr[];
  readonly pos: PositionRange;
}

/** An aggregation such as `sum by (job) (x)` or `topk(3, x)`; `param` is the first argument of the parameterised ones. */
export interface AggregateExpr {
  readonly type: "AggregateExpr";
  readonly op: AggregateOp;
  readonly expr: Expr;
  readonly param: Expr | undefined;
  readonly grouping: readonly string[];
  readonly without: boolean;
  readonly pos: PositionRange;
}

/** How the two sides of a vector/vector binary operation are matched. */
export interface VectorMatching {
  readonly card: "one-to-one" | "many-to-one" | "one-to-many" | "many-to-many";
  /** `on(...)` when true, `ignoring(...)` (or nothing) when false. */
  readonly on: boolean;
  readonly labels: readonly string[];
  /** Labels copied from the "one" side with `group_left(...)`/`group_right(...)`. */
  readonly include: readonly string[];
  /** The experimental `fill(v)` / `fill_left(v)` / `fill_right(v)` modifiers. */
  readonly fill?: FillValues;
}

/**
 * Values that stand in for a missing match: `lhs` from `fill_left`, `rhs` from `fill_right`;
 * `fill(v)` sets both. As in Prometheus, which swaps the sides of a `group_right` operation first,
 * `lhs` fills a missing series of the "many" side and `rhs` one of the "one" side.
 */
export interface FillValues {
  readonly lhs: number | undefined;
  readonly rhs: number | undefined;
}

/** A binary operation. `matching` is set when both sides are instant vectors. */
export interface BinaryExpr {
  readonly type: "BinaryExpr";
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly returnBool: boolean;
  readonly matching: VectorMatching | undefined;
  readonly pos: PositionRange;
}

/** Unary `-x` or `+x` on a scalar or instant vector. */
export interface UnaryExpr {
  readonly type: "UnaryExpr";
  readonly op: "-" | "+";
  readonly expr: Expr;
  readonly pos: PositionRange;
}

/** A parenthesised expression. */
export interface ParenExpr {
  readonly type: "ParenExpr";
  readonly expr: Expr;
  readonly pos: PositionRange;
}

/** Any PromQL expression. */
export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | AggregateExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr;

/** The value type an expression evaluates to. */
export function typeOf(e: Expr): ValueType {
  switch (e.type) {
    case "NumberLiteral":
      return "scalar";
    case "StringLiteral":
      return "string";
    case "VectorSelector":
    case "AggregateExpr":
      return "vector";
    case "MatrixSelector":
    case "SubqueryExpr":
      return "matrix";
    case "Call":
      return e.func.returnType;
    case "BinaryExpr":
      return typeOf(e.lhs) === "scalar" && typeOf(e.rhs) === "scalar" ? "scalar" : "vector";
    case "UnaryExpr":
    case "ParenExpr":
      return typeOf(e.expr);
  }
}

/** Prometheus's documented name of a value type: "scalar", "instant vector", "range vector", "string". */
export function documentedType(t: ValueType): string {
  switch (t) {
    case "vector":
      return "instant vector";
    case "matrix":
      return "range vector";
    default:
      return t;
  }
}

/** `e` without any enclosing parentheses. */
export function unwrapParens(e: Expr): Expr {
  let cur = e;
  while (cur.type === "ParenExpr") cur = cur.expr;
  return cur;
}

/** Calls `visit` for `e` and every node below it, parents first. */
export function walk(e: Expr, visit: (node: Expr) => void): void {
  visit(e);
  switch (e.type) {
    case "MatrixSelector":
      walk(e.selector, visit);
      return;
    case "SubqueryExpr":
    case "UnaryExpr":
    case "ParenExpr":
      walk(e.expr, visit);
      return;
    case "Call":
      for (const a of e.args) walk(a, visit);
      return;
    case "AggregateExpr":
      if (e.param) walk(e.param, visit);
      walk(e.expr, visit);
      return;
    case "BinaryExpr":
      walk(e.lhs, visit);
      walk(e.rhs, visit);
      return;
    default:
      return;
  }
}
