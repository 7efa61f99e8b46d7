import type { Labels } from "../../model/labels.js";

/** One sample of an instant-vector result: evaluation time `t` (ms) and value `v`. */
export interface VectorSample {
  readonly labels: Labels;
  readonly t: number;
  readonly v: number;
}

/** One series of a matrix result: timestamps (ms, increasing) and values, index-aligned. */
export interface MatrixSeries {
  readonly labels: Labels;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
}

/** The value of a query, shaped like the Prometheus API's `data`. */
export type QueryValue =
  | { readonly resultType: "vector"; readonly series: VectorSample[] }
  | { readonly resultType: "matrix"; readonly series: MatrixSeries[] }
  | { readonly resultType: "scalar"; readonly t: number; readonly v: number }
  | { readonly resultType: "string"; readonly t: number; readonly v: string };

/**
 * What a query returns: its value plus warning annotations. Range queries always return a matrix
 * sorted by labels ({@link Labels.compare}); instant queries keep evaluation order (so `sort`,
 * `sort_desc` and `topk` order is visible).
 */
export type QueryResult = QueryValue & { readonly warnings: string[] };
