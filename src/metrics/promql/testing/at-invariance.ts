import type { Expr } from "../ast.js";
import { parseExpr } from "../parser.js";
import { formatExpr } from "../printer.js";

/**
 * Upstream's step-invariance re-check of an instant eval (FORMAT.md §6.1): the query with every
 * selector and subquery that has no fixed `@` time pinned to the eval time (selectors inside a
 * subquery are left alone once the subquery is pinned) must give the same result at other
 * evaluation times. Skipped for queries whose result depends on the evaluation time itself.
 */

/** Functions whose result changes with the evaluation time even when their inputs are pinned. */
const TIME_DEPENDENT: ReadonlySet<string> = new Set([
  "days_in_month",
  "day_of_month",
  "day_of_week",
  "day_of_year",
  "hour",
  "minute",
  "month",
  "year",
  "predict_linear",
  "time",
  "timestamp",
  "start",
  "end",
  "range",
  "step",
]);

/** One re-run: the rewritten query and the time (ms) to evaluate it at. */
export interface AtInvarianceCase {
  readonly expr: string;
  readonly t: number;
}

/**
 * The re-runs for an instant eval of `expr` at `t` (ms): the pinned query at `-10t, 0, t/5, t, 10t`,
 * or at `-1s, 0, 1s` when `t` is 0. Empty when the query is time-dependent or does not parse.
 */
export function atInvarianceCases(expr: string, t: number): AtInvarianceCase[] {
  let e: Expr;
  try {
    e = parseExpr(expr);
  } catch {
    return [];
  }
  let timeDependent = false;
  // Like upstream's walk, which stops looking below a pinned subquery: neither its selectors nor
  // its calls matter there.
  const pin = (n: Expr, insidePinnedSubquery: boolean): void => {
    switch (n.type) {
      case "VectorSelector":
        if (!insidePinnedSubquery && n.at?.kind !== "time") n.at = { kind: "time", ms: t };
        return;
      case "MatrixSelector":
        pin(n.selector, insidePinnedSubquery);
        return;
      case "SubqueryExpr":
        if (!insidePinnedSubquery && n.at?.kind !== "time") n.at = { kind: "time", ms: t };
        pin(n.expr, true);
        return;
      case "Call":
        if (!insidePinnedSubquery && TIME_DEPENDENT.has(n.func.name)) timeDependent = true;
        for (const a of n.args) pin(a, insidePinnedSubquery);
        return;
      case "AggregateExpr":
        if (n.param) pin(n.param, insidePinnedSubquery);
        pin(n.expr, insidePinnedSubquery);
        return;
      case "BinaryExpr":
        pin(n.lhs, insidePinnedSubquery);
        pin(n.rhs, insidePinnedSubquery);
        return;
      case "UnaryExpr":
      case "ParenExpr":
        pin(n.expr, insidePinnedSubquery);
        return;
      default:
        return;
    }
  };
  pin(e, false);
  if (timeDependent) return [];
  const pinned = formatExpr(e);
  const times = t === 0 ? [-1000, 0, 1000] : [-10 * t, 0, Math.trunc(t / 5), t, 10 * t];
  return times.map((at) => ({ expr: pinned, t: at }));
}
