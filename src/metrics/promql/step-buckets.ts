import { type EvalSeries, type StepGrid, stepIndex } from "./value.js";

/**
 * The points of several series regrouped by evaluation step, for aggregations that need all values
 * of one step together (topk, quantile, histogram_quantile). Within a step, points keep the order
 * of the series they came from. Built by counting sort: O(points + steps spanned).
 */
export interface StepBuckets {
  /** The first step index covered. */
  readonly first: number;
  /** Points of step `first + i` are at positions `offsets[i] .. offsets[i+1]`. */
  readonly offsets: Uint32Array;
  /** For each position, the index of the series the point belongs to. */
  readonly owner: Uint32Array;
  /** For each position, the point's value. */
  readonly values: Float64Array;
}

/** Regroups the points of `series` by step of `grid`. */
export function bucketByStep(series: readonly EvalSeries[], grid: StepGrid): StepBuckets {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let total = 0;
  for (const s of series) {
    if (s.ts.length === 0) continue;
    first = Math.min(first, stepIndex(grid, s.ts[0]!));
    last = Math.max(last, stepIndex(grid, s.ts[s.ts.length - 1]!));
    total += s.ts.length;
  }
  if (total === 0)
    return { first: 0, offsets: new Uint32Array(1), owner: new Uint32Array(0), values: new Float64Array(0) };
  const span = last - first + 1;
  const offsets = new Uint32Array(span + 1);
  for (const s of series)
    for (let i = 0; i < s.ts.length; i++) offsets[stepIndex(grid, s.ts[i]!) - first + 1]!++;
  for (let i = 1; i <= span; i++) offsets[i]! += offsets[i - 1]!;
  const fill = offsets.slice(0, span);
  const owner = new Uint32Array(total);
  const values = new Float64Array(total);
  series.forEach((s, si) => {
    for (let i = 0; i < s.ts.length; i++) {
      const pos = fill[stepIndex(grid, s.ts[i]!) - first]!++;
      owner[pos] = si;
      values[pos] = s.vs[i]!;
    }
  });
  return { first, offsets, owner, values };
}
