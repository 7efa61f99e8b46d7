import { ExecutionError } from "./errors.js";
import { KahanSum } from "./kahan.js";
import { quantileOf } from "./quantile.js";
import type { RangeKernel, RangeWindow } from "./range-window.js";

/**
 * The `*_over_time` family and the other functions that reduce a window of samples to one value:
 * `changes`, `resets`, `deriv`, `predict_linear`, `double_exponential_smoothing`.
 */

const kahan = new KahanSum();
const kahan2 = new KahanSum();
let scratch = new Float64Array(64);

function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/** The number of samples in the window. */
export const countOverTime: RangeKernel = (w) => w.to - w.from;

/** 1 for any non-empty window. */
export const presentOverTime: RangeKernel = () => 1;

/** The most recent sample's value. */
export const lastOverTime: RangeKernel = (w) => w.vs[w.to - 1];

/** The oldest sample's value. */
export const firstOverTime: RangeKernel = (w) => w.vs[w.from];

/** Time (s) of the oldest sample. */
export const tsOfFirstOverTime: RangeKernel = (w) => w.ts[w.from]! / 1000;

/** Time (s) of the most recent sample. */
export const tsOfLastOverTime: RangeKernel = (w) => w.ts[w.to - 1]! / 1000;

/** Time (s) of the first sample holding the smallest value. */
export const tsOfMinOverTime: RangeKernel = (w) => {
  let best = w.from;
  for (let i = w.from; i < w.to; i++) {
    const v = w.vs[i]!;
    if (v < w.vs[best]! || Number.isNaN(w.vs[best]!)) best = i;
  }
  return w.ts[best]! / 1000;
};

/** Time (s) of the first sample holding the largest value. */
export const tsOfMaxOverTime: RangeKernel = (w) => {
  let best = w.from;
  for (let i = w.from; i < w.to; i++) {
    const v = w.vs[i]!;
    if (v > w.vs[best]! || Number.isNaN(w.vs[best]!)) best = i;
  }
  return w.ts[best]! / 1000;
};

/** Compensated sum of the values. */
export const sumOverTime: RangeKernel = (w) => {
  kahan.reset();
  for (let i = w.from; i < w.to; i++) kahan.add(w.vs[i]!);
  return kahan.value();
};

/**
 * The mean: a compensated sum divided by the count while the sum stays finite; past an overflow,
 * an incremental mean (so that the mean of huge values does not become ±Inf).
 */
export const avgOverTime: RangeKernel = (w) => {
  const { vs, from, to } = w;
  kahan.reset(vs[from]!);
  let count = 1;
  let incremental = false;
  let mean = 0;
  let c = 0;
  for (let i = from + 1; i < to; i++) {
    const v = vs[i]!;
    count++;
    if (!incremental) {
      const before = kahan.sum;
      const beforeC = kahan.c;
      kahan.add(v);
      if (kahan.sum !== Number.POSITIVE_INFINITY && kahan.sum !== Number.NEGATIVE_INFINITY) continue;
      incremental = true;
      mean = before / (count - 1);
      c = beforeC / (count - 1);
    }
    if (mean === Number.POSITIVE_INFINITY || mean === Number.NEGATIVE_INFINITY) {
      // An infinite mean stays as it is unless a NaN or an infinity of the other sign arrives.
      if (v === mean || Number.isFinite(v)) continue;
    }
    const q = (count - 1) / count;
    const sum = mean * q;
    const inc = v / count;
    const t = sum + inc;
    if (!Number.isFinite(t)) c = 0;
    else if (Math.abs(sum) >= Math.abs(inc)) c = c * q + (sum - t + inc);
    else c = c * q + (inc - t + sum);
    mean = t;
  }
  if (incremental) return mean + c;
  return kahan.sum / count + kahan.c / count;
};

/** The smallest value; NaN only if all are NaN. */
export const minOverTime: RangeKernel = (w) => {
  let m = w.vs[w.from]!;
  for (let i = w.from; i < w.to; i++) {
    const v = w.vs[i]!;
    if (v < m || Number.isNaN(m)) m = v;
  }
  return m;
};

/** The largest value; NaN only if all are NaN. */
export const maxOverTime: RangeKernel = (w) => {
  let m = w.vs[w.from]!;
  for (let i = w.from; i < w.to; i++) {
    const v = w.vs[i]!;
    if (v > m || Number.isNaN(m)) m = v;
  }
  return m;
};

function variance(w: RangeWindow): number {
  let count = 0;
  kahan.reset(); // the mean
  kahan2.reset(); // the sum of squared deviations
  for (let i = w.from; i < w.to; i++) {
    const v = w.vs[i]!;
    count++;
    const delta = v - kahan.value();
    kahan.add(delta / count);
    kahan2.add(delta * (v - kahan.value()));
  }
  return kahan2.value() / count;
}

/** Population variance of the values. */
export const stdvarOverTime: RangeKernel = (w) => variance(w);

/** Population standard deviation of the values. */
export const stddevOverTime: RangeKernel = (w) => Math.sqrt(variance(w));

/** The φ-quantile (first scalar argument) of the values. */
export const quantileOverTime: RangeKernel = (w) => {
  const n = w.to - w.from;
  const buf = scratchOf(n);
  buf.set(w.vs.subarray(w.from, w.to));
  return quantileOf(w.params[0]!, buf, n);
};

/** Median absolute deviation from the median. */
export const madOverTime: RangeKernel = (w) => {
  const n = w.to - w.from;
  for (let i = w.from; i < w.to; i++) if (Number.isNaN(w.vs[i]!)) return Number.NaN;
  const buf = scratchOf(n);
  buf.set(w.vs.subarray(w.from, w.to));
  const median = quantileOf(0.5, buf, n);
  for (let i = 0; i < n; i++) buf[i] = Math.abs(w.vs[w.from + i]! - median);
  return quantileOf(0.5, buf, n);
};

/** How often the value changed (NaN to NaN is no change). */
export const changes: RangeKernel = (w) => {
  let n = 0;
  let prev = w.vs[w.from]!;
  for (let i = w.from + 1; i < w.to; i++) {
    const cur = w.vs[i]!;
    if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) n++;
    prev = cur;
  }
  return n;
};

/** How often the value decreased (counter resets). */
export const resets: RangeKernel = (w) => {
  let n = 0;
  let prev = w.vs[w.from]!;
  for (let i = w.from + 1; i < w.to; i++) {
    const cur = w.vs[i]!;
    if (cur < prev) n++;
    prev = cur;
  }
  return n;
};

const sumX = new KahanSum();
const sumY = new KahanSum();
const sumXY = new KahanSum();
const sumX2 = new KahanSum();

/** Least-squares line through the window's samples, x in seconds relative to `interceptT` (ms). */
function linearRegression(w: RangeWindow, interceptT: number): { slope: number; intercept: number } {
  sumX.reset();
  sumY.reset();
  sumXY.reset();
  sumX2.reset();
  const first = w.vs[w.from]!;
  let constY = true;
  let n = 0;
  for (let i = w.from; i < w.to; i++) {
    const y = w.vs[i]!;
    if (constY && i > w.from && y !== first) constY = false;
    n++;
    const x = (w.ts[i]! - interceptT) / 1000;
    sumX.add(x);
    sumY.add(y);
    sumXY.add(x * y);
    sumX2.add(x * x);
  }
  if (constY) {
    if (!Number.isFinite(first) && !Number.isNaN(first)) return { slope: Number.NaN, intercept: Number.NaN };
    return { slope: 0, intercept: first };
  }
  const sx = sumX.value();
  const sy = sumY.value();
  const covXY = sumXY.value() - (sx * sy) / n;
  const varX = sumX2.value() - (sx * sx) / n;
  const slope = covXY / varX;
  return { slope, intercept: sy / n - (slope * sx) / n };
}

/** Per-second derivative by simple linear regression; needs two samples. */
export const deriv: RangeKernel = (w) => {
  if (w.to - w.from < 2) return undefined;
  return linearRegression(w, w.ts[w.from]!).slope;
};

/** The value the regression line predicts `params[0]` seconds after the evaluation time. */
export const predictLinear: RangeKernel = (w) => {
  if (w.to - w.from < 2) return undefined;
  const { slope, intercept } = linearRegression(w, w.evalT);
  return slope * w.params[0]! + intercept;
};

/** Holt's double exponential smoothing with smoothing factor `params[0]` and trend factor `params[1]`. */
export const doubleExponentialSmoothing: RangeKernel = (w) => {
  const sf = w.params[0]!;
  const tf = w.params[1]!;
  if (!(sf > 0 && sf < 1))
    throw new ExecutionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf}`);
  if (!(tf > 0 && tf < 1)) throw new ExecutionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf}`);
  const { vs, from, to } = w;
  if (to - from < 2) return undefined;
  let s0 = 0;
  let s1 = vs[from]!;
  let b = vs[from + 1]! - vs[from]!;
  for (let i = from + 1; i < to; i++) {
    const x = sf * vs[i]!;
    if (i > from + 1) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
};
