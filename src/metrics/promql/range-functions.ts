import * as ot from "./over-time-functions.js";
import type { RangeKernel } from "./range-window.js";
import * as rates from "./rate-functions.js";

/** How the evaluator runs a function that takes a range vector. */
export interface RangeFunction {
  readonly kernel: RangeKernel;
  /** Whether the output keeps the input's metric name (only the selector-like `last/first_over_time`). */
  readonly keepsName: boolean;
  /** Whether the kernel looks for counter resets, so that it is worth giving it `RangeWindow.lastDrop`. */
  readonly counter: boolean;
}

function fn(kernel: RangeKernel, keepsName = false, counter = false): RangeFunction {
  return { kernel, keepsName, counter };
}

/**
 * The range-vector functions the engine evaluates, by name. `absent_over_time` is handled by the
 * evaluator (it looks across series); a range function missing here is reported as not supported.
 */
export const RANGE_FUNCTIONS: ReadonlyMap<string, RangeFunction> = new Map([
  ["rate", fn(rates.rate, false, true)],
  ["increase", fn(rates.increase, false, true)],
  ["delta", fn(rates.delta)],
  ["irate", fn(rates.irate)],
  ["idelta", fn(rates.idelta)],
  ["avg_over_time", fn(ot.avgOverTime)],
  ["sum_over_time", fn(ot.sumOverTime)],
  ["min_over_time", fn(ot.minOverTime)],
  ["max_over_time", fn(ot.maxOverTime)],
  ["count_over_time", fn(ot.countOverTime)],
  ["last_over_time", fn(ot.lastOverTime, true)],
  ["first_over_time", fn(ot.firstOverTime, true)],
  ["present_over_time", fn(ot.presentOverTime)],
  ["ts_of_first_over_time", fn(ot.tsOfFirstOverTime)],
  ["ts_of_last_over_time", fn(ot.tsOfLastOverTime)],
  ["ts_of_min_over_time", fn(ot.tsOfMinOverTime)],
  ["ts_of_max_over_time", fn(ot.tsOfMaxOverTime)],
  ["stddev_over_time", fn(ot.stddevOverTime)],
  ["stdvar_over_time", fn(ot.stdvarOverTime)],
  ["quantile_over_time", fn(ot.quantileOverTime)],
  ["mad_over_time", fn(ot.madOverTime)],
  ["changes", fn(ot.changes)],
  ["resets", fn(ot.resets)],
  ["deriv", fn(ot.deriv)],
  ["predict_linear", fn(ot.predictLinear)],
  ["double_exponential_smoothing", fn(ot.doubleExponentialSmoothing)],
]);
