/**
 * The φ-quantile of a list of values, as PromQL's `quantile` aggregation and
 * `quantile_over_time` compute it: sort (NaN first), then interpolate linearly between the two
 * closest ranks `q·(n−1)`.
 */

/** Sorts `values[0..n)` ascending with NaN first, in place. */
export function sortNaNFirst(values: Float64Array, n: number): void {
  const view = values.subarray(0, n);
  view.sort(); // typed-array sort is numeric and puts NaN last
  let nan = 0;
  while (nan < n && Number.isNaN(view[n - 1 - nan]!)) nan++;
  if (nan === 0 || nan === n) return;
  view.copyWithin(nan, 0, n - nan);
  view.fill(Number.NaN, 0, nan);
}

/**
 * The `q` quantile of `values[0..n)` (which it sorts in place). NaN for no values or q = NaN,
 * −Inf for q < 0, +Inf for q > 1.
 */
export function quantileOf(q: number, values: Float64Array, n: number): number {
  if (n === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  sortNaNFirst(values, n);
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower]! * (1 - weight) + values[upper]! * weight;
}
