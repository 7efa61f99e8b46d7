import type { RangeKernel, RangeWindow } from "./range-window.js";

/**
 * `rate`, `increase`, `delta` (extrapolated over the whole window) and `irate`, `idelta` (from the
 * last two samples), with Prometheus's semantics:
 *
 * - counters (`rate`, `increase`): a decrease between two samples is a reset, after which the
 *   counter restarted from 0, so the value before the reset is added back;
 * - the difference between the first and last sample in the window is extrapolated towards the
 *   window's edges: all the way if the first/last sample lies within 110% of the average sample
 *   interval of the edge, else by half an average interval (the series probably starts or ends
 *   inside the window);
 * - a counter is never extrapolated below zero: the start extrapolation stops where a straight
 *   line through the samples would reach zero;
 * - `rate` divides by the window's length in seconds.
 */

function extrapolated(w: RangeWindow, isCounter: boolean, isRate: boolean): number | undefined {
  const { ts, vs, from, to } = w;
  const count = to - from;
  if (count < 2) return undefined;
  const firstT = ts[from]!;
  const lastT = ts[to - 1]!;
  const firstV = vs[from]!;
  let result = vs[to - 1]! - firstV;
  // A window without a reset (as `lastDrop` tells at once) adds nothing here.
  if (isCounter && (w.lastDrop === undefined || w.lastDrop[to - 1]! > from)) {
    let prev = firstV;
    for (let i = from + 1; i < to; i++) {
      const cur = vs[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let toStart = (firstT - w.rangeStart) / 1000;
  let toEnd = (w.rangeEnd - lastT) / 1000;
  const sampled = (lastT - firstT) / 1000;
  const avgInterval = sampled / (count - 1);
  const threshold = avgInterval * 1.1;
  if (toStart >= threshold) toStart = avgInterval / 2;
  if (isCounter && result > 0 && firstV >= 0) {
    const toZero = sampled * (firstV / result);
    if (toZero < toStart) toStart = toZero;
  }
  if (toEnd >= threshold) toEnd = avgInterval / 2;
  let factor = (sampled + toStart + toEnd) / sampled;
  if (isRate) factor /= w.rangeMs / 1000;
  return result * factor;
}

function instant(w: RangeWindow, isRate: boolean): number | undefined {
  const { ts, vs, to } = w;
  if (to - w.from < 2) return undefined;
  const last = vs[to - 1]!;
  const prev = vs[to - 2]!;
  const value = isRate && last < prev ? last : last - prev;
  const interval = ts[to - 1]! - ts[to - 2]!;
  if (interval === 0) return undefined;
  return isRate ? value / (interval / 1000) : value;
}

/** Per-second average rate of increase of a counter over the window. */
export const rate: RangeKernel = (w) => extrapolated(w, true, true);
/** Increase of a counter over the window. */
export const increase: RangeKernel = (w) => extrapolated(w, true, false);
/** Difference of a gauge between the window's edges. */
export const delta: RangeKernel = (w) => extrapolated(w, false, false);
/** Per-second rate from the last two samples (a decrease counts as a reset). */
export const irate: RangeKernel = (w) => instant(w, true);
/** Difference of the last two samples. */
export const idelta: RangeKernel = (w) => instant(w, false);
