/**
 * OTLP/HTTP metrics in JSON (`Content-Type: application/json`): a decoder of the protobuf JSON mapping of
 * `ExportMetricsServiceRequest` with OTLP's rules (opentelemetry-proto `docs/specification.md`,
 * "JSON Protobuf Encoding"): keys are lowerCamelCase field names, and unknown keys are ignored;
 * 64-bit integers are decimal strings (numbers are accepted too); enums are integers (their names are
 * accepted too); bytes are base64; doubles may be `"NaN"`, `"Infinity"`, `"-Infinity"`; `null` means
 * "not set". Exemplars (whose ids would be hex) and `metadata` are not decoded.
 */
import { WireError } from "../errors.js";
import {
  array,
  attributes,
  bool,
  double,
  INT32_MAX,
  INT32_MIN,
  INT64_MAX,
  INT64_MIN,
  integer,
  type JsonObject,
  object,
  oneOf,
  readDocument,
  string,
  UINT64_MAX,
  uint32,
} from "./otlp-json.js";
import type {
  DataPointBase,
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  InstrumentationScope,
  Metric,
  MetricData,
  NumberDataPoint,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
} from "./types.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Decodes an OTLP/JSON `ExportMetricsServiceRequest` from a string or UTF-8 bytes (already
 * decompressed). Invalid JSON or UTF-8, a value of the wrong JSON type, an out-of-range integer, two
 * members of one oneof, or attribute values nested deeper than `MAX_ANY_VALUE_DEPTH` throw
 * {@link WireError} `malformed`, whose message names the offending field's path.
 */
export function decodeExportMetricsServiceRequestJson(
  body: string | Uint8Array,
): ExportMetricsServiceRequest {
  let text: string;
  if (typeof body === "string") text = body;
  else {
    try {
      text = utf8.decode(body);
    } catch (err: unknown) {
      throw new WireError("malformed", "OTLP metrics JSON: the body is not valid UTF-8", { cause: err });
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err: unknown) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new WireError("malformed", `OTLP metrics JSON: not valid JSON: ${detail}`, { cause: err });
  }
  return readDocument(
    doc,
    (root) => ({
      resourceMetrics: array(root.resourceMetrics, "resourceMetrics").map((v, i) =>
        resourceMetrics(v, `resourceMetrics[${i}]`),
      ),
    }),
    (err) => new WireError("malformed", `OTLP metrics JSON: ${err.path}: ${err.detail}`),
  );
}

function resourceMetrics(v: unknown, path: string): ResourceMetrics {
  const o = object(v, path) ?? {};
  const res = object(o.resource, `${path}.resource`) ?? {};
  return {
    resource: { attributes: attributes(res.attributes, `${path}.resource.attributes`, 0) },
    scopeMetrics: array(o.scopeMetrics, `${path}.scopeMetrics`).map((s, i) =>
      scopeMetrics(s, `${path}.scopeMetrics[${i}]`),
    ),
    schemaUrl: string(o.schemaUrl, `${path}.schemaUrl`),
  };
}

function scopeMetrics(v: unknown, path: string): ScopeMetrics {
  const o = object(v, path) ?? {};
  const s = object(o.scope, `${path}.scope`) ?? {};
  const scope: InstrumentationScope = {
    name: string(s.name, `${path}.scope.name`),
    version: string(s.version, `${path}.scope.version`),
    attributes: attributes(s.attributes, `${path}.scope.attributes`, 0),
  };
  return {
    scope,
    metrics: array(o.metrics, `${path}.metrics`).map((m, i) => metric(m, `${path}.metrics[${i}]`)),
    schemaUrl: string(o.schemaUrl, `${path}.schemaUrl`),
  };
}

const DATA_KEYS = ["gauge", "sum", "histogram", "exponentialHistogram", "summary"] as const;

function metric(v: unknown, path: string): Metric {
  const o = object(v, path) ?? {};
  const key = oneOf(o, DATA_KEYS, path);
  let data: MetricData = { type: "none" };
  if (key !== undefined) {
    const p = `${path}.${key}`;
    const d = object(o[key], p) ?? {};
    const points = array(d.dataPoints, `${p}.dataPoints`);
    const pp = (i: number) => `${p}.dataPoints[${i}]`;
    const temporality = (): number => enumValue(d.aggregationTemporality, `${p}.aggregationTemporality`);
    switch (key) {
      case "gauge":
        data = { type: "gauge", dataPoints: points.map((x, i) => numberPoint(x, pp(i))) };
        break;
      case "sum":
        data = {
          type: "sum",
          aggregationTemporality: temporality(),
          isMonotonic: bool(d.isMonotonic, `${p}.isMonotonic`),
          dataPoints: points.map((x, i) => numberPoint(x, pp(i))),
        };
        break;
      case "histogram":
        data = {
          type: "histogram",
          aggregationTemporality: temporality(),
          dataPoints: points.map((x, i) => histogramPoint(x, pp(i))),
        };
        break;
      case "exponentialHistogram":
        data = {
          type: "exponentialHistogram",
          aggregationTemporality: temporality(),
          dataPoints: points.map((x, i) => exponentialPoint(x, pp(i))),
        };
        break;
      case "summary":
        data = { type: "summary", dataPoints: points.map((x, i) => summaryPoint(x, pp(i))) };
        break;
    }
  }
  return {
    name: string(o.name, `${path}.name`),
    description: string(o.description, `${path}.description`),
    unit: string(o.unit, `${path}.unit`),
    data,
  };
}

/** The fields every data point has. */
function pointBase(o: JsonObject, path: string): DataPointBase {
  return {
    attributes: attributes(o.attributes, `${path}.attributes`, 0),
    startTimeMs: nanosAsMs(o.startTimeUnixNano, `${path}.startTimeUnixNano`),
    timeMs: nanosAsMs(o.timeUnixNano, `${path}.timeUnixNano`),
    flags: uint32(o.flags, `${path}.flags`),
  };
}

function numberPoint(v: unknown, path: string): NumberDataPoint {
  const o = object(v, path) ?? {};
  const key = oneOf(o, ["asDouble", "asInt"] as const, path);
  const p: NumberDataPoint = { ...pointBase(o, path), valueType: "none", value: 0 };
  if (key === "asDouble") {
    p.valueType = "double";
    p.value = double(o.asDouble, `${path}.asDouble`);
  } else if (key === "asInt") {
    p.valueType = "int";
    p.value = Number(integer(o.asInt, `${path}.asInt`, INT64_MIN, INT64_MAX));
  }
  return p;
}

function histogramPoint(v: unknown, path: string): HistogramDataPoint {
  const o = object(v, path) ?? {};
  const hasSum = o.sum !== undefined && o.sum !== null;
  const hasMin = o.min !== undefined && o.min !== null;
  const hasMax = o.max !== undefined && o.max !== null;
  return {
    ...pointBase(o, path),
    count: uint64(o.count, `${path}.count`),
    hasSum,
    sum: hasSum ? double(o.sum, `${path}.sum`) : 0,
    bucketCounts: Float64Array.from(array(o.bucketCounts, `${path}.bucketCounts`), (c, i) =>
      uint64(c, `${path}.bucketCounts[${i}]`),
    ),
    explicitBounds: Float64Array.from(array(o.explicitBounds, `${path}.explicitBounds`), (b, i) =>
      double(b, `${path}.explicitBounds[${i}]`),
    ),
    hasMin,
    min: hasMin ? double(o.min, `${path}.min`) : 0,
    hasMax,
    max: hasMax ? double(o.max, `${path}.max`) : 0,
  };
}

function exponentialPoint(v: unknown, path: string): ExponentialHistogramDataPoint {
  const o = object(v, path) ?? {};
  const hasSum = o.sum !== undefined && o.sum !== null;
  const hasMin = o.min !== undefined && o.min !== null;
  const hasMax = o.max !== undefined && o.max !== null;
  return {
    ...pointBase(o, path),
    count: uint64(o.count, `${path}.count`),
    hasSum,
    sum: hasSum ? double(o.sum, `${path}.sum`) : 0,
    scale: Number(integer(o.scale, `${path}.scale`, INT32_MIN, INT32_MAX)),
    zeroCount: uint64(o.zeroCount, `${path}.zeroCount`),
    zeroThreshold: o.zeroThreshold === undefined ? 0 : double(o.zeroThreshold, `${path}.zeroThreshold`),
    positive: buckets(o.positive, `${path}.positive`),
    negative: buckets(o.negative, `${path}.negative`),
    hasMin,
    min: hasMin ? double(o.min, `${path}.min`) : 0,
    hasMax,
    max: hasMax ? double(o.max, `${path}.max`) : 0,
  };
}

function buckets(v: unknown, path: string): ExponentialBuckets {
  const o = object(v, path) ?? {};
  return {
    offset: Number(integer(o.offset, `${path}.offset`, INT32_MIN, INT32_MAX)),
    bucketCounts: Float64Array.from(array(o.bucketCounts, `${path}.bucketCounts`), (c, i) =>
      uint64(c, `${path}.bucketCounts[${i}]`),
    ),
  };
}

function summaryPoint(v: unknown, path: string): SummaryDataPoint {
  const o = object(v, path) ?? {};
  const qv = array(o.quantileValues, `${path}.quantileValues`);
  const quantiles = new Float64Array(qv.length);
  const values = new Float64Array(qv.length);
  qv.forEach((x, i) => {
    const qp = `${path}.quantileValues[${i}]`;
    const q = object(x, qp) ?? {};
    quantiles[i] = q.quantile === undefined ? 0 : double(q.quantile, `${qp}.quantile`);
    values[i] = q.value === undefined ? 0 : double(q.value, `${qp}.value`);
  });
  return {
    ...pointBase(o, path),
    count: uint64(o.count, `${path}.count`),
    sum: o.sum === undefined ? 0 : double(o.sum, `${path}.sum`),
    quantiles,
    values,
  };
}

/** A `uint64` or `fixed64` as a number, rounded to the nearest double past 2^53. */
function uint64(v: unknown, path: string): number {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  return Number(integer(v, path, 0n, UINT64_MAX));
}

const NANOS_DIGITS = /^\d{1,19}$/;

/** A `fixed64` nanosecond timestamp as Unix ms, floored; exact from a decimal string. */
function nanosAsMs(v: unknown, path: string): number {
  if (typeof v === "string" && NANOS_DIGITS.test(v)) {
    // Below 10^19 < 2^64: dropping the last six digits is the floored division, and exact.
    return v.length <= 6 ? 0 : Number(v.slice(0, -6));
  }
  if (typeof v === "number" && v >= 0 && Number.isInteger(v)) return Math.floor(v / 1e6);
  return Number(integer(v, path, 0n, UINT64_MAX) / 1_000_000n);
}

const TEMPORALITY_NAMES: Readonly<Record<string, number>> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

/** An `AggregationTemporality`: an integer (as OTLP/JSON writes it) or its name. */
function enumValue(v: unknown, path: string): number {
  if (typeof v === "string" && Object.hasOwn(TEMPORALITY_NAMES, v)) return TEMPORALITY_NAMES[v]!;
  return Number(integer(v, path, INT32_MIN, INT32_MAX));
}
