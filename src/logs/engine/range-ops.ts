import type { RangeOp } from "../logql/index.js";

/**
 * The points of one series inside one window, oldest first: `ts` in ns relative to a query base,
 * `vals` the sample values (1 per line, the line's bytes, or the unwrapped value), indices
 * `[from, to)`. Owned by the window; read only.
 */
export interface WindowPoints {
  readonly ts: readonly number[];
  readonly vals: readonly number[];
  readonly from: number;
  readonly to: number;
  /** Sum of `vals[from..to)`, kept exactly for integer values (counts and bytes). */
  readonly sum: number;
}

/** The window bounds `(start, end]` in the same relative ns as {@link WindowPoints.ts}. */
export interface WindowBounds {
  readonly start: number;
  readonly end: number;
  readonly rangeSeconds: number;
}

/**
 * The value of range aggregation `op` over a non-empty window, or undefined when the op gives no
 * value (e.g. `rate_counter` with one point). `param` is φ of `quantile_over_time`.
 */
export function rangeValue(
  op: RangeOp,
  unwrap: boolean,
  p: WindowPoints,
  w: WindowBounds,
  param: number | undefined,
): number | undefined {
  const n = p.to - p.from;
  switch (op) {
    case "count_over_time":
      return n;
    case "bytes_over_time":
      return p.sum;
    case "bytes_rate":
      return p.sum / w.rangeSeconds;
    case "rate":
      // Without unwrap: lines per second; with unwrap: the sum of the values per second.
      return (unwrap ? sumOf(p) : n) / w.rangeSeconds;
    case "absent_over_time":
      return undefined;
    case "sum_over_time":
      return sumOf(p);
    case "avg_over_time":
      return sumOf(p) / n;
    case "max_over_time": {
      let m = p.vals[p.from]!;
      for (let i = p.from + 1; i < p.to; i++) {
        const v = p.vals[i]!;
        if (v > m || Number.isNaN(m)) m = v;
      }
      return m;
    }
    case "min_over_time": {
      let m = p.vals[p.from]!;
      for (let i = p.from + 1; i < p.to; i++) {
        const v = p.vals[i]!;
        if (v < m || Number.isNaN(m)) m = v;
      }
      return m;
    }
    case "first_over_time":
      return p.vals[p.from]!;
    case "last_over_time":
      return p.vals[p.to - 1]!;
    case "stdvar_over_time":
      return variance(p);
    case "stddev_over_time":
      return Math.sqrt(variance(p));
    case "quantile_over_time":
      return quantile(param ?? Number.NaN, p.vals.slice(p.from, p.to));
    case "rate_counter":
      return counterRate(p, w);
  }
}

function sumOf(p: WindowPoints): number {
  let s = 0;
  for (let i = p.from; i < p.to; i++) s += p.vals[i]!;
  return s;
}

/** Population variance (Welford), as Prometheus's `stdvar_over_time`. */
function variance(p: WindowPoints): number {
  let mean = 0;
  let m2 = 0;
  let k = 0;
  for (let i = p.from; i < p.to; i++) {
    const v = p.vals[i]!;
    k++;
    const d = v - mean;
    mean += d / k;
    m2 += d * (v - mean);
  }
  return m2 / k;
}

/** The φ-quantile with linear interpolation between closest ranks (sorts `vs`). */
export function quantile(q: number, vs: number[]): number {
  const n = vs.length;
  if (n === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  vs.sort((a, b) => a - b);
  const rank = q * (n - 1);
  const lo = Math.max(0, Math.floor(rank));
  const hi = Math.min(n - 1, lo + 1);
  const w = rank - Math.floor(rank);
  return vs[lo]! * (1 - w) + vs[hi]! * w;
}

/**
 * Per-second increase of a counter over the window, with resets handled and extrapolation to the
 * window edges as Prometheus's `rate` (which Loki's `rate_counter` follows).
 */
function counterRate(p: WindowPoints, w: WindowBounds): number | undefined {
  const n = p.to - p.from;
  if (n < 2) return undefined;
  const first = p.vals[p.from]!;
  let prev = first;
  let result = p.vals[p.to - 1]! - first;
  for (let i = p.from + 1; i < p.to; i++) {
    const v = p.vals[i]!;
    if (v < prev) result += prev;
    prev = v;
  }
  const firstTs = p.ts[p.from]!;
  const lastTs = p.ts[p.to - 1]!;
  const sampled = (lastTs - firstTs) / 1e9;
  if (sampled === 0) return undefined;
  let toStart = (firstTs - w.start) / 1e9;
  const toEnd = (w.end - lastTs) / 1e9;
  const avg = sampled / (n - 1);
  if (result > 0 && first >= 0) {
    const toZero = sampled * (first / result);
    if (toZero < toStart) toStart = toZero;
  }
  const threshold = avg * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : avg / 2;
  interval += toEnd < threshold ? toEnd : avg / 2;
  return (result * (interval / sampled)) / w.rangeSeconds;
}
