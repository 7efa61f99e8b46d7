/**
 * Test support for the OTLP metrics codecs: an independent protobufjs codec of the OTLP subset we
 * decode, its schema written for the tests from opentelemetry-proto's field tables, and converters
 * between our structure and protobufjs's plain objects. Not part of the build.
 */
import type protobuf from "protobufjs";
import { parseOtlpSchema } from "./otlp-common.testlib.js";
import type {
  AnyValue,
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  KeyValue,
  Metric,
  MetricData,
  NumberDataPoint,
  ResourceMetrics,
  SummaryDataPoint,
} from "./types.js";

// An independent codec: protobufjs reading the subset of opentelemetry-proto we decode, written for this
// test from the field tables of metrics.proto and metrics_service.proto (and, in `COMMON_MESSAGES`, of
// common.proto and resource.proto).
const root = parseOtlpSchema(
  "otlp",
  `
  message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
  message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
  message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
  message Metric {
    string name = 1; string description = 2; string unit = 3;
    oneof data {
      Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9;
      ExponentialHistogram exponential_histogram = 10; Summary summary = 11;
    }
    repeated KeyValue metadata = 12;
  }
  message Gauge { repeated NumberDataPoint data_points = 1; }
  message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
  message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
  message ExponentialHistogram {
    repeated ExponentialHistogramDataPoint data_points = 1; int32 aggregation_temporality = 2;
  }
  message Summary { repeated SummaryDataPoint data_points = 1; }
  message Exemplar {
    repeated KeyValue filtered_attributes = 7; fixed64 time_unix_nano = 2;
    oneof value { double as_double = 3; sfixed64 as_int = 6; }
    bytes span_id = 4; bytes trace_id = 5;
  }
  message NumberDataPoint {
    repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
    oneof value { double as_double = 4; sfixed64 as_int = 6; }
    repeated Exemplar exemplars = 5; uint32 flags = 8;
  }
  message HistogramDataPoint {
    repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
    fixed64 count = 4; optional double sum = 5; repeated fixed64 bucket_counts = 6;
    repeated double explicit_bounds = 7; repeated Exemplar exemplars = 8; uint32 flags = 10;
    optional double min = 11; optional double max = 12;
  }
  message ExponentialHistogramDataPoint {
    repeated KeyValue attributes = 1; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
    fixed64 count = 4; optional double sum = 5; sint32 scale = 6; fixed64 zero_count = 7;
    Buckets positive = 8; Buckets negative = 9;
    message Buckets { sint32 offset = 1; repeated uint64 bucket_counts = 2; }
    uint32 flags = 10; repeated Exemplar exemplars = 11; optional double min = 12; optional double max = 13;
    double zero_threshold = 14;
  }
  message SummaryDataPoint {
    repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
    fixed64 count = 4; double sum = 5;
    message ValueAtQuantile { double quantile = 1; double value = 2; }
    repeated ValueAtQuantile quantile_values = 6; uint32 flags = 8;
  }
`,
);
/** protobufjs's `ExportMetricsServiceRequest` type, for encoding and decoding independently of ours. */
export const PbRequest = root.lookupType("otlp.ExportMetricsServiceRequest");

// Our structure to and from protobufjs's plain objects.

const MAX_NS = 2n ** 64n - 1n;

const nsText = (ms: number, subMs: number): string => {
  const ns = BigInt(ms) * 1_000_000n + BigInt(ms === 0 ? 0 : subMs);
  return (ns > MAX_NS ? MAX_NS : ns).toString();
};

function toPbValue(v: AnyValue): Record<string, unknown> {
  switch (v.kind) {
    case "string":
      return { stringValue: v.value };
    case "bool":
      return { boolValue: v.value };
    case "int":
      return { intValue: v.value.toString() };
    case "double":
      return { doubleValue: v.value };
    case "bytes":
      return { bytesValue: v.value };
    case "array":
      return { arrayValue: { values: v.values.map(toPbValue) } };
    case "kvlist":
      return { kvlistValue: { values: v.values.map(toPbKeyValue) } };
    case "empty":
      return {};
  }
}

const toPbKeyValue = (kv: KeyValue) => ({ key: kv.key, value: toPbValue(kv.value) });

function toPbPoint(
  p: NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint,
) {
  const o: Record<string, unknown> = {
    attributes: p.attributes.map(toPbKeyValue),
    startTimeUnixNano: nsText(p.startTimeMs, 123_456),
    timeUnixNano: nsText(p.timeMs, 999_999),
    flags: p.flags,
  };
  if ("valueType" in p) {
    if (p.valueType === "double") o.asDouble = p.value;
    if (p.valueType === "int") o.asInt = BigInt(p.value).toString();
  } else if ("explicitBounds" in p) {
    Object.assign(o, {
      count: BigInt(p.count).toString(),
      bucketCounts: [...p.bucketCounts].map((c) => BigInt(c).toString()),
      explicitBounds: [...p.explicitBounds],
    });
    if (p.hasSum) o.sum = p.sum;
    if (p.hasMin) o.min = p.min;
    if (p.hasMax) o.max = p.max;
  } else if ("scale" in p) {
    const buckets = (b: ExponentialBuckets) => ({
      offset: b.offset,
      bucketCounts: [...b.bucketCounts].map((c) => BigInt(c).toString()),
    });
    Object.assign(o, {
      count: BigInt(p.count).toString(),
      scale: p.scale,
      zeroCount: BigInt(p.zeroCount).toString(),
      positive: buckets(p.positive),
      negative: buckets(p.negative),
      zeroThreshold: p.zeroThreshold,
    });
    if (p.hasSum) o.sum = p.sum;
    if (p.hasMin) o.min = p.min;
    if (p.hasMax) o.max = p.max;
  } else {
    Object.assign(o, {
      count: BigInt(p.count).toString(),
      sum: p.sum,
      quantileValues: [...p.quantiles].map((q, i) => ({ quantile: q, value: p.values[i] })),
    });
  }
  return o;
}

/** `req` as the plain object protobufjs's `fromObject` takes (64-bit values as decimal strings). */
export function toPbObject(req: ExportMetricsServiceRequest) {
  return {
    resourceMetrics: req.resourceMetrics.map((rm) => ({
      resource: { attributes: rm.resource.attributes.map(toPbKeyValue) },
      schemaUrl: rm.schemaUrl,
      scopeMetrics: rm.scopeMetrics.map((sm) => ({
        scope: {
          name: sm.scope.name,
          version: sm.scope.version,
          attributes: sm.scope.attributes.map(toPbKeyValue),
        },
        schemaUrl: sm.schemaUrl,
        metrics: sm.metrics.map((m) => {
          const d = m.data;
          const base = { name: m.name, description: m.description, unit: m.unit };
          if (d.type === "none") return base;
          const temporality =
            "aggregationTemporality" in d ? { aggregationTemporality: d.aggregationTemporality } : {};
          const monotonic = d.type === "sum" ? { isMonotonic: d.isMonotonic } : {};
          return {
            ...base,
            [d.type]: { ...temporality, ...monotonic, dataPoints: d.dataPoints.map(toPbPoint) },
          };
        }),
      })),
    })),
  };
}

// protobufjs's decoded message, read back into our structure. Absent fields are defaults.
type Pb = Record<string, unknown>;
const pbList = (v: unknown): Pb[] => (Array.isArray(v) ? (v as Pb[]) : []);
const pbStr = (v: unknown): string => (typeof v === "string" ? v : "");
const pbNum = (v: unknown): number => (typeof v === "number" ? v : typeof v === "string" ? Number(v) : 0);
const pbMs = (v: unknown): number => (typeof v === "string" ? Number(BigInt(v) / 1_000_000n) : 0);
const pbF64 = (v: unknown): Float64Array => Float64Array.from(pbList(v) as unknown[], (x) => pbNum(x));

function fromPbValue(v: Pb | undefined): AnyValue {
  if (v === undefined) return { kind: "empty" };
  if ("stringValue" in v) return { kind: "string", value: pbStr(v.stringValue) };
  if ("boolValue" in v) return { kind: "bool", value: v.boolValue === true };
  if ("intValue" in v) return { kind: "int", value: BigInt(pbStr(v.intValue)) };
  if ("doubleValue" in v) return { kind: "double", value: pbNum(v.doubleValue) };
  if ("bytesValue" in v) return { kind: "bytes", value: new Uint8Array(v.bytesValue as Uint8Array) };
  if ("arrayValue" in v)
    return { kind: "array", values: pbList((v.arrayValue as Pb).values).map(fromPbValue) };
  if ("kvlistValue" in v)
    return { kind: "kvlist", values: pbList((v.kvlistValue as Pb).values).map(fromPbKeyValue) };
  return { kind: "empty" };
}

const fromPbKeyValue = (kv: Pb): KeyValue => ({
  key: pbStr(kv.key),
  value: fromPbValue(kv.value as Pb | undefined),
});

function fromPbBase(p: Pb) {
  return {
    attributes: pbList(p.attributes).map(fromPbKeyValue),
    startTimeMs: pbMs(p.startTimeUnixNano),
    timeMs: pbMs(p.timeUnixNano),
    flags: pbNum(p.flags),
  };
}

const opt = (p: Pb, key: string) => ({ has: key in p, v: key in p ? pbNum(p[key]) : 0 });

function fromPbData(m: Pb): MetricData {
  if (m.gauge) {
    return { type: "gauge", dataPoints: pbList((m.gauge as Pb).dataPoints).map(fromPbNumberPoint) };
  }
  if (m.sum) {
    const s = m.sum as Pb;
    return {
      type: "sum",
      aggregationTemporality: pbNum(s.aggregationTemporality),
      isMonotonic: s.isMonotonic === true,
      dataPoints: pbList(s.dataPoints).map(fromPbNumberPoint),
    };
  }
  if (m.histogram) {
    const h = m.histogram as Pb;
    return {
      type: "histogram",
      aggregationTemporality: pbNum(h.aggregationTemporality),
      dataPoints: pbList(h.dataPoints).map((p): HistogramDataPoint => {
        const [sum, min, max] = [opt(p, "sum"), opt(p, "min"), opt(p, "max")];
        return {
          ...fromPbBase(p),
          count: pbNum(p.count),
          hasSum: sum.has,
          sum: sum.v,
          bucketCounts: pbF64(p.bucketCounts),
          explicitBounds: pbF64(p.explicitBounds),
          hasMin: min.has,
          min: min.v,
          hasMax: max.has,
          max: max.v,
        };
      }),
    };
  }
  if (m.exponentialHistogram) {
    const h = m.exponentialHistogram as Pb;
    const buckets = (b: unknown): ExponentialBuckets => ({
      offset: pbNum((b as Pb | undefined)?.offset),
      bucketCounts: pbF64((b as Pb | undefined)?.bucketCounts),
    });
    return {
      type: "exponentialHistogram",
      aggregationTemporality: pbNum(h.aggregationTemporality),
      dataPoints: pbList(h.dataPoints).map((p): ExponentialHistogramDataPoint => {
        const [sum, min, max] = [opt(p, "sum"), opt(p, "min"), opt(p, "max")];
        return {
          ...fromPbBase(p),
          count: pbNum(p.count),
          hasSum: sum.has,
          sum: sum.v,
          scale: pbNum(p.scale),
          zeroCount: pbNum(p.zeroCount),
          zeroThreshold: pbNum(p.zeroThreshold),
          positive: buckets(p.positive),
          negative: buckets(p.negative),
          hasMin: min.has,
          min: min.v,
          hasMax: max.has,
          max: max.v,
        };
      }),
    };
  }
  if (m.summary) {
    return {
      type: "summary",
      dataPoints: pbList((m.summary as Pb).dataPoints).map((p): SummaryDataPoint => {
        const qv = pbList(p.quantileValues);
        return {
          ...fromPbBase(p),
          count: pbNum(p.count),
          sum: pbNum(p.sum),
          quantiles: Float64Array.from(qv, (q) => pbNum(q.quantile)),
          values: Float64Array.from(qv, (q) => pbNum(q.value)),
        };
      }),
    };
  }
  return { type: "none" };
}

function fromPbNumberPoint(p: Pb): NumberDataPoint {
  const base = fromPbBase(p);
  if ("asDouble" in p) return { ...base, valueType: "double", value: pbNum(p.asDouble) };
  if ("asInt" in p) return { ...base, valueType: "int", value: pbNum(p.asInt) };
  return { ...base, valueType: "none", value: 0 };
}

/** A protobufjs-decoded request back into our structure. */
export function fromPbMessage(msg: protobuf.Message): ExportMetricsServiceRequest {
  const o = PbRequest.toObject(msg, { longs: String, enums: Number, defaults: false, arrays: true });
  return {
    resourceMetrics: pbList(o.resourceMetrics).map(
      (rm): ResourceMetrics => ({
        resource: { attributes: pbList((rm.resource as Pb | undefined)?.attributes).map(fromPbKeyValue) },
        schemaUrl: pbStr(rm.schemaUrl),
        scopeMetrics: pbList(rm.scopeMetrics).map((sm) => {
          const scope = (sm.scope as Pb | undefined) ?? {};
          return {
            scope: {
              name: pbStr(scope.name),
              version: pbStr(scope.version),
              attributes: pbList(scope.attributes).map(fromPbKeyValue),
            },
            schemaUrl: pbStr(sm.schemaUrl),
            metrics: pbList(sm.metrics).map(
              (m): Metric => ({
                name: pbStr(m.name),
                description: pbStr(m.description),
                unit: pbStr(m.unit),
                data: fromPbData(m),
              }),
            ),
          };
        }),
      }),
    ),
  };
}
