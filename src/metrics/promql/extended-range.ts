import type { Call, MatrixSelector, VectorSelector } from "./ast.js";
import { unwrapParens } from "./ast.js";
import { ExecutionError } from "./errors.js";
import type { EvalHost } from "./eval-host.js";
import { changes, resets } from "./over-time-functions.js";
import type { RangeWindow } from "./range-window.js";
import { resolveAt, type SelectorRange, withoutStaleMarkers } from "./selector-data.js";
import {
  dropNameOf,
  type EvalSeries,
  type MatrixValue,
  mergeSameLabels,
  PointBuffer,
  type VectorValue,
} from "./value.js";

/**
 * The experimental extended range selectors (Prometheus's `promql-extended-range-selectors`):
 *
 * - `anchored`: a window `(start, end]` also takes the last sample at or before `start` (looking
 *   back at most the lookback delta), so `increase(x[5m] anchored)` is the plain difference of
 *   real samples across the window, corrected for counter resets. No sample inside the window,
 *   no result.
 * - `smoothed`: the values at `start` and `end` are interpolated linearly between the nearest
 *   samples on either side (looking back and ahead at most the lookback delta); a counter reset
 *   between two samples is modelled as a restart from zero. On an instant selector, the value at
 *   the evaluation time is interpolated the same way.
 *
 * Stale markers are ignored. `anchored` works with `changes`, `delta`, `increase`, `rate` and
 * `resets`; `smoothed` with `delta`, `increase` and `rate`.
 */

const ANCHORED_FUNCTIONS: readonly string[] = ["changes", "delta", "increase", "rate", "resets"];
const SMOOTHED_FUNCTIONS: readonly string[] = ["delta", "increase", "rate"];

/** The extended matrix selector among a call's arguments, if any. */
function extendedArgument(call: Call): MatrixSelector | undefined {
  for (const a of call.args) {
    const e = unwrapParens(a);
    if (e.type === "MatrixSelector" && e.selector.extended !== undefined) return e;
  }
  return undefined;
}

/**
 * Evaluates `call` if one of its arguments is an `anchored`/`smoothed` range selector; undefined
 * otherwise. Throws {@link ExecutionError} when the function cannot take such a selector.
 */
export function evalExtendedRangeCall(host: EvalHost, call: Call): VectorValue | undefined {
  const arg = extendedArgument(call);
  if (!arg) return undefined;
  const mode = arg.selector.extended!;
  const allowed = mode === "anchored" ? ANCHORED_FUNCTIONS : SMOOTHED_FUNCTIONS;
  const name = call.func.name;
  if (!allowed.includes(name)) {
    throw new ExecutionError(
      `${mode} modifier can only be used with: ${allowed.join(", ")} - not with ${name}`,
    );
  }
  const src = host.rangeSource(arg);
  const { grid, options } = host;
  const lookback = options.lookbackMs;
  const isCounter = name !== "delta";
  const isRate = name === "rate";
  const out: EvalSeries[] = [];
  for (const s of src.series) {
    options.limits.check();
    const { ts, vs } = s;
    const buf = new PointBuffer();
    const ahead = mode === "smoothed" ? lookback : 0;
    for (let i = 0; i < grid.n; i++) {
      const t = grid.start + i * grid.step;
      const end = (src.atMs ?? t) - src.offsetMs;
      const start = end - src.rangeMs;
      // Candidates: (start - lookback, end] for anchored, up to end + lookback for smoothed.
      const lo = upperBound(ts, start - lookback);
      const hi = upperBound(ts, end + ahead);
      if (hi - lo === 0) continue;
      options.limits.probe(hi - lo);
      let v: number | undefined;
      if (mode === "anchored") {
        v = anchored(ts, vs, lo, hi, start, end, name, isCounter);
      } else {
        v = smoothed(ts, vs, lo, hi, start, end, isCounter);
      }
      if (v === undefined) continue;
      buf.push(t, isRate ? v / (src.rangeMs / 1000) : v);
    }
    if (buf.n > 0) {
      const { labels, dropName } = dropNameOf(s.labels, options.delayedNameRemoval);
      out.push(buf.toSeries(labels, dropName));
    }
  }
  return { kind: "vector", series: options.delayedNameRemoval ? out : mergeSameLabels(out) };
}

/**
 * Index of the sample that gives a window's start value: the last candidate at or before `start`,
 * or the first candidate when there is none (Prometheus searches all but the last candidate).
 */
function anchorIndex(ts: Float64Array, lo: number, hi: number, start: number): number {
  let i = lo;
  while (i < hi - 1 && ts[i]! <= start) i++;
  return Math.max(lo, i - 1);
}

function anchored(
  ts: Float64Array,
  vs: Float64Array,
  lo: number,
  hi: number,
  start: number,
  end: number,
  name: string,
  isCounter: boolean,
): number | undefined {
  const last = hi - 1;
  if (ts[last]! <= start) return undefined;
  const first = anchorIndex(ts, lo, hi, start);
  if (name === "changes" || name === "resets") {
    const w = WINDOW;
    w.ts = ts;
    w.vs = vs;
    w.from = first;
    w.to = hi;
    return (name === "changes" ? changes : resets)(w);
  }
  const left = vs[first]!;
  const right = vs[last]!;
  return right - left + (isCounter ? correction(ts, vs, first, last, start, end, left, right) : 0);
}

function smoothed(
  ts: Float64Array,
  vs: Float64Array,
  lo: number,
  hi: number,
  start: number,
  end: number,
  isCounter: boolean,
): number | undefined {
  const first = anchorIndex(ts, lo, hi, start);
  let last = lo;
  while (last < hi - 1 && ts[last]! < end) last++;
  if (ts[last]! <= start) return undefined;
  // Nothing at or before the window's end: the series only starts after it.
  if (ts[first]! > end) return undefined;
  const left = ts[first]! < start ? interpolate(ts, vs, first, first + 1, start, isCounter) : vs[first]!;
  const right =
    last > lo && ts[last]! > end ? interpolate(ts, vs, last - 1, last, end, isCounter) : vs[last]!;
  return right - left + (isCounter ? correction(ts, vs, first, last, start, end, left, right) : 0);
}

/** Linear interpolation at `t` between samples `a` and `b`; across a counter reset, from zero. */
function interpolate(
  ts: Float64Array,
  vs: Float64Array,
  a: number,
  b: number,
  t: number,
  isCounter: boolean,
): number {
  let y1 = vs[a]!;
  const y2 = vs[b]!;
  if (isCounter && y2 < y1) y1 = 0;
  return y1 + ((y2 - y1) * (t - ts[a]!)) / (ts[b]! - ts[a]!);
}

/**
 * What counter resets inside the window add back: every decrease between the left value, the
 * samples strictly inside the window, and the right value adds the value before the decrease.
 */
function correction(
  ts: Float64Array,
  vs: Float64Array,
  first: number,
  last: number,
  start: number,
  end: number,
  left: number,
  right: number,
): number {
  let from = first;
  let to = last;
  if (ts[from]! <= start) from++;
  if (ts[to]! >= end) to--;
  let c = 0;
  let prev = left;
  for (let i = from; i <= to; i++) {
    const v = vs[i]!;
    if (v < prev) c += prev;
    prev = v;
  }
  if (right < prev) c += prev;
  return c;
}

const WINDOW: RangeWindow = {
  ts: new Float64Array(0),
  vs: new Float64Array(0),
  from: 0,
  to: 0,
  rangeStart: 0,
  rangeEnd: 0,
  rangeMs: 0,
  evalT: 0,
  params: new Float64Array(0),
};

/**
 * A `smoothed` instant selector: at each step, the value interpolated between the last sample at
 * or before the reference time (within the lookback delta) and the next one after it (within the
 * lookback delta ahead); the last sample's value when there is no next one; nothing when there is
 * no sample before. The metric name is kept, as for any selector.
 */
export function smoothedSelector(host: EvalHost, vs: VectorSelector): VectorValue {
  const { data, lookbackMs, limits, queryStart, queryEnd } = host.options;
  const at = vs.at ? resolveAt(vs.at, queryStart, queryEnd) : undefined;
  const { start, step, n } = host.grid;
  const out: EvalSeries[] = [];
  for (const raw of data.get(vs) ?? []) {
    limits.check();
    const { ts, vs: values } = withoutStaleMarkers(raw);
    const buf = new PointBuffer();
    for (let i = 0; i < n; i++) {
      const t = start + i * step;
      const ref = (at ?? t) - vs.offsetMs;
      const next = upperBound(ts, ref);
      const prev = next - 1;
      if (prev < 0 || ts[prev]! <= ref - lookbackMs) continue;
      if (ts[prev] === ref || next >= ts.length || ts[next]! > ref + lookbackMs) {
        buf.push(t, values[prev]!);
      } else {
        buf.push(t, interpolate(ts, values, prev, next, ref, false));
      }
    }
    if (buf.n > 0) out.push(buf.toSeries(raw.labels, false));
  }
  return { kind: "vector", series: out };
}

/** Index of the first element of sorted `ts` greater than `t`. */
function upperBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * An `anchored`/`smoothed` range selector as an instant query's result: per series, a point at
 * the window's start (the anchoring sample's value, or interpolated), the samples strictly inside,
 * and a point at its end. No sample inside the window, no series.
 */
export function extendedMatrix(host: EvalHost, e: MatrixSelector): MatrixValue {
  const src = host.rangeSource(e);
  const end = (src.atMs ?? host.grid.start) - src.offsetMs;
  const start = end - src.rangeMs;
  const lookback = host.options.lookbackMs;
  const smooth = e.selector.extended === "smoothed";
  const out: EvalSeries[] = [];
  for (const s of src.series) {
    const { ts, vs } = s;
    const lo = upperBound(ts, start - lookback);
    const hi = upperBound(ts, end + (smooth ? lookback : 0));
    if (hi === lo) continue;
    const first = anchorIndex(ts, lo, hi, start);
    let last = hi - 1;
    if (smooth) {
      last = lo;
      while (last < hi - 1 && ts[last]! < end) last++;
    }
    if (ts[last]! <= start) continue;
    const left =
      smooth && ts[first]! < start ? interpolate(ts, vs, first, first + 1, start, false) : vs[first]!;
    const right =
      smooth && last > lo && ts[last]! > end ? interpolate(ts, vs, last - 1, last, end, false) : vs[last]!;
    const buf = new PointBuffer();
    buf.push(start, left);
    for (let i = ts[first]! <= start ? first + 1 : first; i <= (ts[last]! >= end ? last - 1 : last); i++) {
      buf.push(ts[i]!, vs[i]!);
    }
    buf.push(end, right);
    out.push(buf.toSeries(s.labels, "dropName" in s ? s.dropName : false));
  }
  return { kind: "matrix", series: out };
}

/**
 * Widens the storage reads of `anchored`/`smoothed` selectors: one lookback delta further back
 * for the anchoring sample, and for `smoothed` one further ahead for the interpolation partner.
 */
export function widenExtendedRanges(
  ranges: ReadonlyMap<VectorSelector, SelectorRange>,
  lookbackMs: number,
): void {
  for (const [vs, r] of ranges) {
    if (vs.extended === undefined) continue;
    r.mint -= lookbackMs;
    if (vs.extended === "smoothed") r.maxt += lookbackMs;
  }
}
