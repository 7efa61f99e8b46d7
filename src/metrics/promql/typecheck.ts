import {
  type AggregateOp,
  type BinaryOp,
  documentedType,
  type Expr,
  typeOf,
  type ValueType,
  type VectorMatching,
} from "./ast.js";
import type { PositionRange } from "./errors.js";
import type { FunctionSignature } from "./function-signatures.js";

/**
 * The type rules of PromQL, applied by the parser as it builds each node. Each check reports a
 * violation through `fail`, which throws, with Prometheus's wording.
 */

/** Reports a type error at `pos`; never returns. */
export type Fail = (pos: PositionRange, message: string) => never;

/** Aggregations that take a parameter before the vector. */
export const PARAM_AGGREGATIONS: ReadonlySet<AggregateOp> = new Set([
  "topk",
  "bottomk",
  "quantile",
  "count_values",
  "limitk",
  "limit_ratio",
]);

const COMPARISONS: ReadonlySet<BinaryOp> = new Set(["==", "!=", "<", "<=", ">", ">="]);
const SET_OPS: ReadonlySet<BinaryOp> = new Set(["and", "or", "unless"]);

/** Whether `op` is a comparison operator. */
export function isComparison(op: BinaryOp): boolean {
  return COMPARISONS.has(op);
}

/** Whether `op` is a set operator (`and`, `or`, `unless`). */
export function isSetOp(op: BinaryOp): boolean {
  return SET_OPS.has(op);
}

function expectType(e: Expr, want: ValueType, context: string, fail: Fail): void {
  const got = typeOf(e);
  if (got !== want) {
    fail(e.pos, `expected type ${documentedType(want)} in ${context}, got ${documentedType(got)}`);
  }
}

/** Checks the number and types of a call's arguments. */
export function checkCall(
  func: FunctionSignature,
  args: readonly Expr[],
  pos: PositionRange,
  fail: Fail,
): void {
  const n = args.length;
  const fixed = func.argTypes.length;
  const name = JSON.stringify(func.name);
  if (func.variadic === 0) {
    if (n !== fixed) fail(pos, `expected ${fixed} argument(s) in call to ${name}, got ${n}`);
  } else {
    const min = fixed - 1;
    if (n < min) fail(pos, `expected at least ${min} argument(s) in call to ${name}, got ${n}`);
    if (func.variadic > 0 && n > min + func.variadic) {
      fail(pos, `expected at most ${min + func.variadic} argument(s) in call to ${name}, got ${n}`);
    }
  }
  for (let i = 0; i < n; i++) {
    const want = func.argTypes[Math.min(i, fixed - 1)]!;
    expectType(args[i]!, want, `call to function ${name}`, fail);
  }
}

/** Checks an aggregation's operand and parameter types. */
export function checkAggregate(op: AggregateOp, expr: Expr, param: Expr | undefined, fail: Fail): void {
  expectType(expr, "vector", "aggregation expression", fail);
  if (param) expectType(param, op === "count_values" ? "string" : "scalar", "aggregation parameter", fail);
}

/** Checks a unary expression's operand. */
export function checkUnary(operand: Expr, pos: PositionRange, fail: Fail): void {
  const t = typeOf(operand);
  if (t !== "scalar" && t !== "vector") {
    fail(
      pos,
      `unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(documentedType(t))}`,
    );
  }
}

/** What the parser read between a binary operator and its right operand. */
export interface BinaryModifiers {
  readonly returnBool: boolean;
  /** Whether `on(...)` or `ignoring(...)` was written. */
  readonly explicitMatching: boolean;
  readonly matching: VectorMatching;
}

/**
 * Checks a binary expression and returns the vector matching to store on it: the parsed one for
 * vector/vector operations (many-to-many for set operators), undefined otherwise.
 */
export function checkBinary(
  op: BinaryOp,
  lhs: Expr,
  rhs: Expr,
  mods: BinaryModifiers,
  pos: PositionRange,
  fail: Fail,
): VectorMatching | undefined {
  const lt = typeOf(lhs);
  const rt = typeOf(rhs);
  if (lt !== "scalar" && lt !== "vector")
    fail(lhs.pos, "binary expression must contain only scalar and instant vector types");
  if (rt !== "scalar" && rt !== "vector")
    fail(rhs.pos, "binary expression must contain only scalar and instant vector types");
  if (mods.returnBool && !isComparison(op))
    fail(pos, "bool modifier can only be used on comparison operators");
  if (isComparison(op) && lt === "scalar" && rt === "scalar" && !mods.returnBool) {
    fail(pos, "comparisons between scalars must use BOOL modifier");
  }
  if (isSetOp(op) && (lt === "scalar" || rt === "scalar")) {
    fail(pos, `set operator ${JSON.stringify(op)} not allowed in binary scalar expression`);
  }
  const m = mods.matching;
  if (lt !== "vector" || rt !== "vector") {
    if (mods.explicitMatching || m.card !== "one-to-one")
      fail(pos, "vector matching only allowed between instant vectors");
    return undefined;
  }
  if (isSetOp(op)) {
    if (m.card === "many-to-one" || m.card === "one-to-many")
      fail(pos, `no grouping allowed for ${JSON.stringify(op)} operation`);
    if (m.fill) fail(pos, `fill modifiers not allowed for ${JSON.stringify(op)} operation`);
    return { ...m, card: "many-to-many" };
  }
  if (m.on) {
    for (const l of m.include) {
      if (m.labels.includes(l))
        fail(pos, `label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`);
    }
  }
  return m;
}
