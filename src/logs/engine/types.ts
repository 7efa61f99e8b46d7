import type { Labels } from "../../model/labels.js";
import type { PipelineDeps } from "../pipeline/index.js";
import type { LogMetadata } from "../store/block-payload.js";

/** Read direction of a log query: oldest first (`forward`) or newest first (`backward`). */
export type Direction = "forward" | "backward";

/** Options of {@link evaluateLogQuery}. Times are Unix nanoseconds, `[startNs, endNs)` as Loki. */
export interface LogQueryOptions {
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly direction: Direction;
  /** At most this many entries overall (`Infinity` for all). */
  readonly limit: number;
  readonly deps: PipelineDeps;
  readonly signal?: AbortSignal;
}

/** One entry of a log stream result: timestamp (Unix ns), line, structured metadata if any. */
export type StreamEntry = readonly [bigint, string, LogMetadata?];

/** A stream of a log query result: the labels after the pipeline and its entries in query direction. */
export interface LogStreamResult {
  readonly labels: Labels;
  readonly entries: StreamEntry[];
}

/**
 * Options of {@link evaluateMetricQuery}. Times are Unix nanoseconds. A range query evaluates at
 * `startNs, startNs+stepNs, …` up to `endNs` inclusive; an instant query (`instant: true`) evaluates
 * once, at `endNs`.
 */
export interface MetricQueryOptions {
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** Step between evaluations, ns, > 0 (ignored for instant queries). */
  readonly stepNs: bigint;
  readonly instant?: boolean;
  readonly deps: PipelineDeps;
  readonly signal?: AbortSignal;
}

/** One series of a matrix: points `[tsNs, value]` in time order. */
export interface MatrixSeries {
  readonly labels: Labels;
  readonly points: [bigint, number][];
}

/** One sample of an instant vector. */
export interface VectorSample {
  readonly labels: Labels;
  readonly tsNs: bigint;
  readonly value: number;
}

/** The result of a metric query, as Loki's `resultType`s. */
export type MetricResult =
  | { readonly kind: "matrix"; readonly series: MatrixSeries[] }
  | { readonly kind: "vector"; readonly samples: VectorSample[] }
  | { readonly kind: "scalar"; readonly tsNs: bigint; readonly value: number };
