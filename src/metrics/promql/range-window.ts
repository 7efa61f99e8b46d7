/**
 * What a range-vector function sees at one evaluation step: the samples `ts/vs[from..to)` of one
 * series inside the window `(rangeStart, rangeEnd]` (stale markers already removed), plus the
 * step's scalar arguments. One object is reused across steps; kernels must not keep it.
 */
export interface RangeWindow {
  ts: Float64Array;
  vs: Float64Array;
  /** First sample index in the window. */
  from: number;
  /** One past the last sample index in the window. */
  to: number;
  /** Exclusive start of the window, ms. */
  rangeStart: number;
  /** Inclusive end of the window, ms (evaluation time minus offset, or the `@` time). */
  rangeEnd: number;
  /** The selector's (or subquery's) range, ms. */
  rangeMs: number;
  /** The evaluation step's time, ms. */
  evalT: number;
  /** The other (scalar) arguments at this step, in argument order. */
  params: Float64Array;
  /**
   * Optional, for the functions that ask for it (`RangeFunction.counter`): `lastDrop[i]` is
   * the largest `j ≤ i` with `vs[j] < vs[j - 1]` (a counter reset), or −1. With it a kernel finds
   * that a window holds no reset without looking at its samples; without it, it looks.
   */
  lastDrop?: Int32Array | undefined;
}

/**
 * Computes one output value from a window, or undefined for "no output at this step" (for
 * example `rate` over fewer than two samples).
 */
export type RangeKernel = (w: RangeWindow) => number | undefined;
