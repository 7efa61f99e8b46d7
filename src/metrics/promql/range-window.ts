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
}

/**
 * Computes one output value from a window, or undefined for "no output at this step" (for
 * example `rate` over fewer than two samples).
 */
export type RangeKernel = (w: RangeWindow) => number | undefined;
