import type { Labels } from "../../model/labels.js";

/** The evaluation steps of a metric query: `n` Unix-ns timestamps in increasing order. */
export interface Steps {
  readonly times: readonly bigint[];
}

/** One series over all steps: `present[i]` says whether it has a value at step `i`. */
export interface StepSeries {
  readonly labels: Labels;
  readonly values: Float64Array;
  readonly present: Uint8Array;
}

/**
 * The value of a metric sub-expression over all steps: a vector (series by label key) or a scalar
 * (one value per step).
 */
export type StepValue =
  | { readonly kind: "vector"; readonly series: Map<string, StepSeries> }
  | { readonly kind: "scalar"; readonly values: Float64Array };

/** Returns the series of `out` for `labels`, creating it (empty) when missing. */
export function seriesFor(out: Map<string, StepSeries>, labels: Labels, n: number): StepSeries {
  const key = labels.key();
  let s = out.get(key);
  if (s === undefined) {
    s = { labels, values: new Float64Array(n), present: new Uint8Array(n) };
    out.set(key, s);
  }
  return s;
}

/** Sets the value of `labels` at step `i`. */
export function setPoint(
  out: Map<string, StepSeries>,
  labels: Labels,
  n: number,
  i: number,
  v: number,
): void {
  const s = seriesFor(out, labels, n);
  s.values[i] = v;
  s.present[i] = 1;
}
