/**
 * The OTLP metrics data model (`opentelemetry.proto.metrics.v1` and `collector.metrics.v1`), as both
 * OTLP decoders in this folder produce it: protobuf (`metrics-proto.ts`) and JSON (`metrics-json.ts`).
 *
 * Conventions, the same for both encodings:
 * - timestamps are Unix milliseconds, floored from the wire's nanoseconds without going through a
 *   lossy 64-bit double (0 means "not set", as on the wire);
 * - 64-bit counts and `as_int` values are numbers, exact up to 2^53 and rounded to the nearest double
 *   beyond (they become float64 samples anyway); attribute `int` values are `bigint`, exact, since
 *   they become label text;
 * - bucket bounds, bucket counts and quantiles are in `Float64Array`s;
 * - unset proto3 fields hold their defaults (0, "", false, empty arrays); `optional` fields carry a
 *   `has*` flag next to the value;
 * - exemplars and `Metric.metadata` are not decoded.
 *
 * Every decoded structure is a fresh object owned by the caller; none refers to the request bytes.
 */

/** An attribute value (`common.v1.AnyValue`); `empty` is an AnyValue with no value set. */
export type AnyValue =
  | { kind: "string"; value: string }
  | { kind: "bool"; value: boolean }
  | { kind: "int"; value: bigint }
  | { kind: "double"; value: number }
  | { kind: "bytes"; value: Uint8Array }
  | { kind: "array"; values: AnyValue[] }
  | { kind: "kvlist"; values: KeyValue[] }
  | { kind: "empty" };

/** One attribute (`common.v1.KeyValue`). Keys should be unique in a list; decoders do not enforce it. */
export interface KeyValue {
  key: string;
  value: AnyValue;
}

/** The entity that produced the metrics (`resource.v1.Resource`). */
export interface Resource {
  attributes: KeyValue[];
}

/** The instrumentation library that produced the metrics (`common.v1.InstrumentationScope`). */
export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: KeyValue[];
}

/** `metrics.v1.AggregationTemporality`. Unknown numbers decode as they are. */
export const AggregationTemporality = {
  UNSPECIFIED: 0,
  DELTA: 1,
  CUMULATIVE: 2,
} as const;

/** `DataPointFlags.FLAG_NO_RECORDED_VALUE`: the point marks a series as ended (a stale marker). */
export const FLAG_NO_RECORDED_VALUE = 1;

/** Fields common to every data point. */
export interface DataPointBase {
  attributes: KeyValue[];
  /** Start of the aggregation interval, Unix ms; 0 when unset. */
  startTimeMs: number;
  /** When the value was captured, Unix ms. */
  timeMs: number;
  /** `DataPointFlags` bits; see {@link FLAG_NO_RECORDED_VALUE}. */
  flags: number;
}

/**
 * A gauge or sum point. `valueType` says which member of the `value` oneof was set: `"none"` (neither)
 * leaves `value` at 0.
 */
export interface NumberDataPoint extends DataPointBase {
  valueType: "double" | "int" | "none";
  value: number;
}

/**
 * An explicit-bucket histogram point. `bucketCounts[i]` counts values in
 * `(explicitBounds[i-1], explicitBounds[i]]`; a well-formed point has one more count than bounds.
 */
export interface HistogramDataPoint extends DataPointBase {
  count: number;
  hasSum: boolean;
  sum: number;
  bucketCounts: Float64Array;
  explicitBounds: Float64Array;
  hasMin: boolean;
  min: number;
  hasMax: boolean;
  max: number;
}

/** One side of an exponential histogram: `bucketCounts[i]` is the count of bucket `offset + i`. */
export interface ExponentialBuckets {
  offset: number;
  bucketCounts: Float64Array;
}

/** An exponential (base-2) histogram point. */
export interface ExponentialHistogramDataPoint extends DataPointBase {
  count: number;
  hasSum: boolean;
  sum: number;
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
  hasMin: boolean;
  min: number;
  hasMax: boolean;
  max: number;
}

/** A summary point: `values[i]` is the value at quantile `quantiles[i]`. */
export interface SummaryDataPoint extends DataPointBase {
  count: number;
  sum: number;
  quantiles: Float64Array;
  values: Float64Array;
}

/** The `data` oneof of a metric; `none` when the sender set none of them. */
export type MetricData =
  | { type: "gauge"; dataPoints: NumberDataPoint[] }
  | { type: "sum"; aggregationTemporality: number; isMonotonic: boolean; dataPoints: NumberDataPoint[] }
  | { type: "histogram"; aggregationTemporality: number; dataPoints: HistogramDataPoint[] }
  | {
      type: "exponentialHistogram";
      aggregationTemporality: number;
      dataPoints: ExponentialHistogramDataPoint[];
    }
  | { type: "summary"; dataPoints: SummaryDataPoint[] }
  | { type: "none" };

/** One metric (`metrics.v1.Metric`). `unit` is UCUM text such as `"s"`, `"By"` or `"{request}"`. */
export interface Metric {
  name: string;
  description: string;
  unit: string;
  data: MetricData;
}

/** The metrics of one instrumentation scope. */
export interface ScopeMetrics {
  scope: InstrumentationScope;
  metrics: Metric[];
  schemaUrl: string;
}

/** The metrics of one resource. */
export interface ResourceMetrics {
  resource: Resource;
  scopeMetrics: ScopeMetrics[];
  schemaUrl: string;
}

/** The body of an OTLP/HTTP `POST /v1/metrics` (`collector.metrics.v1.ExportMetricsServiceRequest`). */
export interface ExportMetricsServiceRequest {
  resourceMetrics: ResourceMetrics[];
}
