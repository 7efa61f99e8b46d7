import type { Expr, VectorSelector } from "./ast.js";
import { type DurationContext, durationExprMs } from "./duration-expr.js";

/**
 * Resolves the duration expressions of a parsed query (`[5m+1m]`, `[step():1s]`, `offset range()`)
 * into the plain millisecond fields the engine reads, for one query's step and range. Returns the
 * same tree when it holds no duration expression; otherwise a copy in which every node on a path to
 * a resolved node is new (the parsed tree is left as it was). Throws `BadQueryError` for a range or
 * step that is not positive, and for division or modulo by zero.
 */
export function resolveDurations(e: Expr, ctx: DurationContext): Expr {
  switch (e.type) {
    case "NumberLiteral":
    case "StringLiteral":
      return e;
    case "VectorSelector":
      return resolveSelector(e, ctx);
    case "MatrixSelector": {
      const selector = resolveSelector(e.selector, ctx);
      if (!e.rangeExpr && selector === e.selector) return e;
      const { rangeExpr, ...rest } = e;
      return {
        ...rest,
        selector,
        rangeMs: rangeExpr ? durationExprMs(rangeExpr, ctx, false) : e.rangeMs,
      };
    }
    case "SubqueryExpr": {
      const inner = resolveDurations(e.expr, ctx);
      if (!e.rangeExpr && !e.stepExpr && !e.offsetExpr && inner === e.expr) return e;
      const { rangeExpr, stepExpr, offsetExpr, ...rest } = e;
      return {
        ...rest,
        expr: inner,
        rangeMs: rangeExpr ? durationExprMs(rangeExpr, ctx, false) : e.rangeMs,
        stepMs: stepExpr ? durationExprMs(stepExpr, ctx, false) : e.stepMs,
        offsetMs: offsetExpr ? durationExprMs(offsetExpr, ctx, true) : e.offsetMs,
      };
    }
    case "Call": {
      const args = mapAll(e.args, ctx);
      return args === e.args ? e : { ...e, args };
    }
    case "AggregateExpr": {
      const param = e.param ? resolveDurations(e.param, ctx) : undefined;
      const expr = resolveDurations(e.expr, ctx);
      return param === e.param && expr === e.expr ? e : { ...e, param, expr };
    }
    case "BinaryExpr": {
      const lhs = resolveDurations(e.lhs, ctx);
      const rhs = resolveDurations(e.rhs, ctx);
      return lhs === e.lhs && rhs === e.rhs ? e : { ...e, lhs, rhs };
    }
    case "UnaryExpr":
    case "ParenExpr": {
      const expr = resolveDurations(e.expr, ctx);
      return expr === e.expr ? e : { ...e, expr };
    }
  }
}

function resolveSelector(vs: VectorSelector, ctx: DurationContext): VectorSelector {
  if (!vs.offsetExpr) return vs;
  const { offsetExpr, ...rest } = vs;
  return { ...rest, offsetMs: durationExprMs(offsetExpr, ctx, true) };
}

function mapAll(args: readonly Expr[], ctx: DurationContext): readonly Expr[] {
  let out: Expr[] | undefined;
  args.forEach((a, i) => {
    const r = resolveDurations(a, ctx);
    if (r !== a) {
      out ??= [...args];
      out[i] = r;
    }
  });
  return out ?? args;
}
