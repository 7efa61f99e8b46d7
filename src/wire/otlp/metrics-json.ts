/**
 * OTLP/HTTP metrics in JSON (`Content-Type: application/json`): a decoder of the protobuf JSON mapping of
 * `ExportMetricsServiceRequest` with OTLP's rules (opentelemetry-proto `docs/specification.md`,
 * "JSON Protobuf Encoding"): keys are lowerCamelCase field names, and unknown keys are ignored;
 * 64-bit integers are decimal strings (numbers are accepted too); enums are integers (their names are
 * accepted too); bytes are base64; doubles may be `"NaN"`, `"Infinity"`, `"-Infinity"`; `null` means
 * "not set". Exemplars (whose ids would be hex) and `metadata` are not decoded.
 */
import { WireError } from "../errors.js";
import { MAX_ANY_VALUE_DEPTH } from "./common-proto.js";
import type {
  AnyValue,
  DataPointBase,
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  InstrumentationScope,
  KeyValue,
  Metric,
  MetricData,
  NumberDataPoint,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
} from "./types.js";

type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Decodes an OTLP/JSON `ExportMetricsServiceRequest` from a string or UTF-8 bytes (already
 * decompressed). Invalid JSON or UTF-8, a value of the wrong JSON type, an out-of-range integer, two
 * members of one oneof, or attribute values nested deeper than {@link MAX_ANY_VALUE_DEPTH} throw
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
  const root = object(doc, "$") ?? {};
  return {
    resourceMetrics: array(root.resourceMetrics, "resourceMetrics").map((v, i) =>
      resourceMetrics(v, `resourceMetrics[${i}]`),
    ),
  };
}

function fail(path: string, message: string): never {
  throw new WireError("malformed", `OTLP metrics JSON: ${path}: ${message}`);
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

function attributes(v: unknown, path: string, depth: number): KeyValue[] {
  return array(v, path).map((kv, i) => keyValue(kv, `${path}[${i}]`, depth));
}

function keyValue(v: unknown, path: string, depth: number): KeyValue {
  const o = object(v, path) ?? {};
  return { key: string(o.key, `${path}.key`), value: anyValue(o.value, `${path}.value`, depth + 1) };
}

const VALUE_KEYS = [
  "stringValue",
  "boolValue",
  "intValue",
  "doubleValue",
  "arrayValue",
  "kvlistValue",
  "bytesValue",
] as const;

function anyValue(v: unknown, path: string, depth: number): AnyValue {
  if (depth > MAX_ANY_VALUE_DEPTH) fail(path, `attribute values nested deeper than ${MAX_ANY_VALUE_DEPTH}`);
  const o = object(v, path);
  if (o === undefined) return { kind: "empty" };
  const key = oneOf(o, VALUE_KEYS, path);
  const p = `${path}.${key}`;
  switch (key) {
    case "stringValue":
      return { kind: "string", value: string(o.stringValue, p) };
    case "boolValue":
      return { kind: "bool", value: bool(o.boolValue, p) };
    case "intValue":
      return { kind: "int", value: integer(o.intValue, p, INT64_MIN, INT64_MAX) };
    case "doubleValue":
      return { kind: "double", value: double(o.doubleValue, p) };
    case "bytesValue":
      return { kind: "bytes", value: bytes(o.bytesValue, p) };
    case "arrayValue": {
      const list = object(o.arrayValue, p) ?? {};
      const values = array(list.values, `${p}.values`).map((x, i) =>
        anyValue(x, `${p}.values[${i}]`, depth + 1),
      );
      return { kind: "array", values };
    }
    case "kvlistValue": {
      const list = object(o.kvlistValue, p) ?? {};
      return { kind: "kvlist", values: attributes(list.values, `${p}.values`, depth) };
    }
    case undefined:
      return { kind: "empty" };
  }
}

/** Which of `keys` is set (not null) in `o`; two or more is an error, as in protobuf JSON. */
function oneOf<K extends string>(o: JsonObject, keys: readonly K[], path: string): K | undefined {
  let found: K | undefined;
  for (const k of keys) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (found !== undefined) fail(path, `both ${found} and ${k} are set, but they are one oneof`);
    found = k;
  }
  return found;
}

function object(v: unknown, path: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) fail(path, "expected an object");
  return v as JsonObject;
}

function array(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, "expected an array");
  return v;
}

function string(v: unknown, path: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") fail(path, "expected a string");
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") fail(path, "expected true or false");
  return v;
}

const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A double: a JSON number, or a string holding a number, `NaN`, `Infinity` or `-Infinity`. */
function double(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    if (v === "NaN") return Number.NaN;
    if (v === "Infinity") return Number.POSITIVE_INFINITY;
    if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
    if (DECIMAL.test(v)) return Number(v);
  }
  return fail(path, "expected a number");
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT32_MAX = 2n ** 32n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const INTEGER = /^-?\d+$/;

/** An integer in `[min, max]`: a JSON number without a fraction, or a decimal string. Unset is 0. */
function integer(v: unknown, path: string, min: bigint, max: bigint): bigint {
  let b: bigint;
  if (v === undefined || v === null) return 0n;
  if (typeof v === "number" && Number.isInteger(v)) b = BigInt(v);
  else if (typeof v === "string" && INTEGER.test(v)) b = BigInt(v);
  else return fail(path, "expected an integer (a decimal string or a number)");
  if (b < min || b > max) fail(path, `${b} is out of range [${min}, ${max}]`);
  return b;
}

function uint32(v: unknown, path: string): number {
  if (typeof v === "number" && v >>> 0 === v) return v; // the common case, without a bigint
  return Number(integer(v, path, 0n, UINT32_MAX));
}

/** A `uint64` or `fixed64` as a number, rounded to the nearest double past 2^53. */
function uint64(v: unknown, path: string): number {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  return Number(integer(v, path, 0n, UINT64_MAX));
}

/** A `fixed64` nanosecond timestamp as Unix ms, floored; exact from a decimal string. */
function nanosAsMs(v: unknown, path: string): number {
  if (typeof v === "string" && v.length <= 19 && v[0] !== "-" && INTEGER.test(v)) {
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

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Base64, standard or URL-safe, padded or not (protobuf JSON accepts all four). */
function bytes(v: unknown, path: string): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array(0);
  if (typeof v !== "string" || !BASE64.test(v) || v.replace(/=+$/, "").length % 4 === 1) {
    fail(path, "expected base64 text");
  }
  return new Uint8Array(Buffer.from(v.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}
