import type { Labels } from "../../model/labels.js";
import { isStaleNaN } from "../../model/stale.js";
import type { Querier, SelectHints } from "../storage/interface.js";
import type { AtModifier, Expr, VectorSelector } from "./ast.js";
import type { QueryLimits } from "./query-limits.js";
import { PointBuffer } from "./value.js";

/** The raw samples of one selected series within its selector's time range, stale markers included. */
export interface RawSeries {
  readonly labels: Labels;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
}

/** The time range (ms, inclusive) a vector selector will read, and the hints to pass to storage. */
export interface SelectorRange {
  mint: number;
  maxt: number;
  readonly step: number;
  readonly func: string | undefined;
}

/** What {@link selectorRanges} needs to know about the query. */
export interface RangePlan {
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly lookbackMs: number;
  /** The resolution of a subquery written without a step, given its range. */
  readonly subqueryStep: (rangeMs: number) => number;
}

/** Resolves an `@` modifier against the query's start and end. */
export function resolveAt(at: AtModifier, queryStart: number, queryEnd: number): number {
  switch (at.kind) {
    case "time":
      return at.ms;
    case "start":
      return queryStart;
    case "end":
      return queryEnd;
  }
}

/**
 * For every vector selector in `expr` (including those inside range selectors and subqueries),
 * the time range its evaluation reads: the lookback (exclusive) or range before each evaluation
 * time, shifted by offsets and `@`, widened by enclosing subqueries.
 */
export function selectorRanges(expr: Expr, plan: RangePlan): Map<VectorSelector, SelectorRange> {
  const out = new Map<VectorSelector, SelectorRange>();
  const visit = (e: Expr, evStart: number, evEnd: number, step: number, func: string | undefined): void => {
    switch (e.type) {
      case "VectorSelector":
      case "MatrixSelector": {
        const vs = e.type === "VectorSelector" ? e : e.selector;
        const back = e.type === "VectorSelector" ? plan.lookbackMs : e.rangeMs;
        const at = vs.at ? resolveAt(vs.at, plan.start, plan.end) : undefined;
        const a = at ?? evStart;
        const b = at ?? evEnd;
        out.set(vs, { mint: a - vs.offsetMs - back + 1, maxt: b - vs.offsetMs, step, func });
        return;
      }
      case "SubqueryExpr": {
        const at = e.at ? resolveAt(e.at, plan.start, plan.end) : undefined;
        const a = at ?? evStart;
        const b = at ?? evEnd;
        const subStep = e.stepMs > 0 ? e.stepMs : plan.subqueryStep(e.rangeMs);
        visit(e.expr, a - e.offsetMs - e.rangeMs, b - e.offsetMs, subStep, func);
        return;
      }
      case "Call":
        for (const arg of e.args) visit(arg, evStart, evEnd, step, e.func.name);
        return;
      case "AggregateExpr":
        if (e.param) visit(e.param, evStart, evEnd, step, e.op);
        visit(e.expr, evStart, evEnd, step, e.op);
        return;
      case "BinaryExpr":
        visit(e.lhs, evStart, evEnd, step, undefined);
        visit(e.rhs, evStart, evEnd, step, undefined);
        return;
      case "UnaryExpr":
      case "ParenExpr":
        visit(e.expr, evStart, evEnd, step, func);
        return;
      default:
        return;
    }
  };
  visit(expr, plan.start, plan.end, plan.step, undefined);
  return out;
}

/** The union of all selector ranges, or undefined when the query selects nothing. */
export function overallRange(
  ranges: ReadonlyMap<VectorSelector, SelectorRange>,
): { mint: number; maxt: number } | undefined {
  let mint = Number.POSITIVE_INFINITY;
  let maxt = Number.NEGATIVE_INFINITY;
  for (const r of ranges.values()) {
    mint = Math.min(mint, r.mint);
    maxt = Math.max(maxt, r.maxt);
  }
  return mint <= maxt ? { mint, maxt } : undefined;
}

/**
 * Selects every selector's series once and copies their samples within its range into typed
 * arrays. Series without samples in the range are left out. Returns storage warnings too.
 */
export async function loadSelectors(
  querier: Querier,
  ranges: ReadonlyMap<VectorSelector, SelectorRange>,
  limits: QueryLimits,
): Promise<{ data: Map<VectorSelector, RawSeries[]>; warnings: string[] }> {
  const data = new Map<VectorSelector, RawSeries[]>();
  const warnings: string[] = [];
  for (const [vs, r] of ranges) {
    limits.checkNow();
    const hints: SelectHints = { start: r.mint, end: r.maxt, step: r.step };
    if (r.func !== undefined) hints.func = r.func;
    const set = await querier.select(vs.matchers, hints);
    const series: RawSeries[] = [];
    // One buffer collects every series; each keeps an exact-size copy.
    const buf = new PointBuffer(256);
    for (let s = set.next(); s !== undefined; s = set.next()) {
      limits.check();
      const it = s.iterator();
      if (!it.seek(r.mint)) continue;
      buf.n = 0;
      do {
        if (it.t > r.maxt) break;
        buf.push(it.t, it.v);
      } while (it.next());
      if (buf.n > 0) {
        const { ts, vs } = buf.takePoints();
        series.push({ labels: s.labels, ts, vs });
      }
    }
    warnings.push(...set.warnings);
    data.set(vs, series);
  }
  return { data, warnings };
}

/** `raw` without its stale markers (the same object when it has none), as range functions see it. */
export function withoutStaleMarkers(raw: RawSeries): RawSeries {
  let stale = 0;
  for (let i = 0; i < raw.vs.length; i++) if (isStaleNaN(raw.vs[i]!)) stale++;
  if (stale === 0) return raw;
  const n = raw.vs.length - stale;
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < raw.vs.length; i++) {
    const v = raw.vs[i]!;
    if (isStaleNaN(v)) continue;
    ts[j] = raw.ts[i]!;
    vs[j] = v;
    j++;
  }
  return { labels: raw.labels, ts, vs };
}
