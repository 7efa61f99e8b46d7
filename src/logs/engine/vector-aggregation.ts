import type { Labels } from "../../model/labels.js";
import type { VectorAggregationExpr } from "../logql/index.js";
import { type StepSeries, type StepValue, setPoint } from "./step-vector.js";

/**
 * Applies a vector aggregation at every step. `sum/avg/min/max/count/stddev/stdvar` give one series per
 * group (labels reduced by `by`/`without`; none without grouping); `topk/bottomk` keep the k largest
 * (smallest) series of each group with their own labels; `sort/sort_desc` return their input (the
 * order is applied to instant results).
 */
export function evaluateVectorAggregation(
  expr: VectorAggregationExpr,
  input: StepValue,
  n: number,
): StepValue {
  if (input.kind === "scalar") throw new Error("invariant: vector aggregation over a scalar");
  if (expr.op === "sort" || expr.op === "sort_desc") return input;
  const out = new Map<string, StepSeries>();
  const g = expr.grouping;
  const set = new Set(g?.labels ?? []);
  const groupOf = (l: Labels): Labels =>
    g === undefined ? l.keep(set) : g.without ? l.without(set) : l.keep(set);
  const series = [...input.series.values()];
  const groups = new Map<string, { labels: Labels; members: StepSeries[] }>();
  for (const s of series) {
    const gl = groupOf(s.labels);
    const k = gl.key();
    let grp = groups.get(k);
    if (grp === undefined) {
      grp = { labels: gl, members: [] };
      groups.set(k, grp);
    }
    grp.members.push(s);
  }
  for (const grp of groups.values()) {
    for (let i = 0; i < n; i++) {
      if (expr.op === "topk" || expr.op === "bottomk") {
        const k = expr.param ?? 1;
        const present = grp.members.filter((s) => s.present[i] === 1);
        const sign = expr.op === "topk" ? -1 : 1;
        present.sort((a, b) => sign * (a.values[i]! - b.values[i]!));
        for (const s of present.slice(0, k)) setPoint(out, s.labels, n, i, s.values[i]!);
        continue;
      }
      const v = aggregate(expr.op, grp.members, i);
      if (v !== undefined) setPoint(out, grp.labels, n, i, v);
    }
  }
  return { kind: "vector", series: out };
}

function aggregate(op: VectorAggregationExpr["op"], members: StepSeries[], i: number): number | undefined {
  let count = 0;
  let sum = 0;
  let min = Number.NaN;
  let max = Number.NaN;
  let mean = 0;
  let m2 = 0;
  for (const s of members) {
    if (s.present[i] !== 1) continue;
    const v = s.values[i]!;
    count++;
    sum += v;
    if (count === 1 || v < min || Number.isNaN(min)) min = v;
    if (count === 1 || v > max || Number.isNaN(max)) max = v;
    const d = v - mean;
    mean += d / count;
    m2 += d * (v - mean);
  }
  if (count === 0) return undefined;
  switch (op) {
    case "sum":
      return sum;
    case "avg":
      return mean;
    case "min":
      return min;
    case "max":
      return max;
    case "count":
      return count;
    case "stdvar":
      return m2 / count;
    case "stddev":
      return Math.sqrt(m2 / count);
    default:
      throw new Error(`invariant: ${op} is not a reducing aggregation`);
  }
}
