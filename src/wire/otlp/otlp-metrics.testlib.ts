/**
 * Test support for the OTLP metrics codecs: a test-only encoder with our ProtobufWriter, and fast-check
 * arbitraries of requests. Not part of the build.
 */
import fc from "fast-check";
import { WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from "../../lib/protobuf/reader.js";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
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
  SummaryDataPoint,
} from "./types.js";

// A test-only encoder with our ProtobufWriter. `subMs` nanoseconds are added to every timestamp (the
// decoder must floor them away); `packed` chooses how repeated scalars are written.

const MAX_NS = 2n ** 64n - 1n;

/** `subMs` nanoseconds are added to every timestamp; `packed` chooses how repeated scalars are written. */
export interface EncodeOptions {
  subMs: number;
  packed: boolean;
}

function fixed64(w: ProtobufWriter, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  w.fixed32(Number(u & 0xffffffffn)).fixed32(Number(u >> 32n));
}

function nanos(w: ProtobufWriter, field: number, ms: number, o: EncodeOptions): void {
  if (ms === 0) return;
  let ns = BigInt(ms) * 1_000_000n + BigInt(o.subMs);
  if (ns > MAX_NS) ns = MAX_NS;
  w.tag(field, WIRE_FIXED64);
  fixed64(w, ns);
}

function double(w: ProtobufWriter, field: number, v: number, always = false): void {
  if (always || v !== 0 || Object.is(v, -0)) w.tag(field, WIRE_FIXED64).double(v);
}

/** A varint of a safe integer (two's complement when negative). */
function varint64(w: ProtobufWriter, v: bigint): void {
  w.int64(Number(v)); // RangeError past 2^53: use protobufjs for those
}

function encodeAnyValue(w: ProtobufWriter, v: AnyValue): void {
  switch (v.kind) {
    case "string":
      w.tag(1, WIRE_LEN).string(v.value);
      break;
    case "bool":
      w.tag(2, WIRE_VARINT).bool(v.value);
      break;
    case "int":
      varint64(w.tag(3, WIRE_VARINT), v.value);
      break;
    case "double":
      w.tag(4, WIRE_FIXED64).double(v.value);
      break;
    case "bytes":
      w.tag(7, WIRE_LEN).bytes(v.value);
      break;
    case "array": {
      const m = w.tag(5, WIRE_LEN).fork();
      for (const x of v.values) {
        const e = w.tag(1, WIRE_LEN).fork();
        encodeAnyValue(w, x);
        w.join(e);
      }
      w.join(m);
      break;
    }
    case "kvlist": {
      const m = w.tag(6, WIRE_LEN).fork();
      for (const kv of v.values) encodeKeyValue(w, 1, kv);
      w.join(m);
      break;
    }
    case "empty":
      break;
  }
}

/** Writes `kv` as a length-delimited KeyValue in field `field`. */
export function encodeKeyValue(w: ProtobufWriter, field: number, kv: KeyValue): void {
  const m = w.tag(field, WIRE_LEN).fork();
  if (kv.key !== "") w.tag(1, WIRE_LEN).string(kv.key);
  if (kv.value.kind !== "empty") {
    const v = w.tag(2, WIRE_LEN).fork();
    encodeAnyValue(w, kv.value);
    w.join(v);
  }
  w.join(m);
}

function repeatedFixed64(w: ProtobufWriter, field: number, values: Float64Array, o: EncodeOptions): void {
  if (values.length === 0) return;
  if (o.packed) {
    const m = w.tag(field, WIRE_LEN).fork();
    for (const v of values) fixed64(w, BigInt(v));
    w.join(m);
  } else for (const v of values) fixed64(w.tag(field, WIRE_FIXED64), BigInt(v));
}

function repeatedDouble(w: ProtobufWriter, field: number, values: Float64Array, o: EncodeOptions): void {
  if (values.length === 0) return;
  if (o.packed) {
    const m = w.tag(field, WIRE_LEN).fork();
    for (const v of values) w.double(v);
    w.join(m);
  } else for (const v of values) w.tag(field, WIRE_FIXED64).double(v);
}

/** Writes `p` as a length-delimited NumberDataPoint in field 1 (a Gauge's or Sum's data_points). */
export function encodeNumberPoint(w: ProtobufWriter, p: NumberDataPoint, o: EncodeOptions): void {
  const m = w.tag(1, WIRE_LEN).fork();
  for (const kv of p.attributes) encodeKeyValue(w, 7, kv);
  nanos(w, 2, p.startTimeMs, o);
  nanos(w, 3, p.timeMs, o);
  if (p.valueType === "double") double(w, 4, p.value, true);
  if (p.valueType === "int") fixed64(w.tag(6, WIRE_FIXED64), BigInt(p.value));
  if (p.flags !== 0) w.tag(8, WIRE_VARINT).uint32(p.flags);
  w.join(m);
}

function encodeHistogramPoint(w: ProtobufWriter, p: HistogramDataPoint, o: EncodeOptions): void {
  const m = w.tag(1, WIRE_LEN).fork();
  for (const kv of p.attributes) encodeKeyValue(w, 9, kv);
  nanos(w, 2, p.startTimeMs, o);
  nanos(w, 3, p.timeMs, o);
  if (p.count !== 0) fixed64(w.tag(4, WIRE_FIXED64), BigInt(p.count));
  if (p.hasSum) double(w, 5, p.sum, true);
  repeatedFixed64(w, 6, p.bucketCounts, o);
  repeatedDouble(w, 7, p.explicitBounds, o);
  if (p.flags !== 0) w.tag(10, WIRE_VARINT).uint32(p.flags);
  if (p.hasMin) double(w, 11, p.min, true);
  if (p.hasMax) double(w, 12, p.max, true);
  w.join(m);
}

function encodeBuckets(w: ProtobufWriter, field: number, b: ExponentialBuckets, o: EncodeOptions): void {
  if (b.offset === 0 && b.bucketCounts.length === 0) return;
  const m = w.tag(field, WIRE_LEN).fork();
  if (b.offset !== 0) w.tag(1, WIRE_VARINT).sint32(b.offset);
  if (b.bucketCounts.length > 0) {
    if (o.packed) {
      const c = w.tag(2, WIRE_LEN).fork();
      for (const v of b.bucketCounts) varint64(w, BigInt(v));
      w.join(c);
    } else for (const v of b.bucketCounts) varint64(w.tag(2, WIRE_VARINT), BigInt(v));
  }
  w.join(m);
}

function encodeExponentialPoint(w: ProtobufWriter, p: ExponentialHistogramDataPoint, o: EncodeOptions): void {
  const m = w.tag(1, WIRE_LEN).fork();
  for (const kv of p.attributes) encodeKeyValue(w, 1, kv);
  nanos(w, 2, p.startTimeMs, o);
  nanos(w, 3, p.timeMs, o);
  if (p.count !== 0) fixed64(w.tag(4, WIRE_FIXED64), BigInt(p.count));
  if (p.hasSum) double(w, 5, p.sum, true);
  if (p.scale !== 0) w.tag(6, WIRE_VARINT).sint32(p.scale);
  if (p.zeroCount !== 0) fixed64(w.tag(7, WIRE_FIXED64), BigInt(p.zeroCount));
  encodeBuckets(w, 8, p.positive, o);
  encodeBuckets(w, 9, p.negative, o);
  if (p.flags !== 0) w.tag(10, WIRE_VARINT).uint32(p.flags);
  if (p.hasMin) double(w, 12, p.min, true);
  if (p.hasMax) double(w, 13, p.max, true);
  double(w, 14, p.zeroThreshold);
  w.join(m);
}

function encodeSummaryPoint(w: ProtobufWriter, p: SummaryDataPoint, o: EncodeOptions): void {
  const m = w.tag(1, WIRE_LEN).fork();
  for (const kv of p.attributes) encodeKeyValue(w, 7, kv);
  nanos(w, 2, p.startTimeMs, o);
  nanos(w, 3, p.timeMs, o);
  if (p.count !== 0) fixed64(w.tag(4, WIRE_FIXED64), BigInt(p.count));
  double(w, 5, p.sum);
  for (let i = 0; i < p.quantiles.length; i++) {
    const q = w.tag(6, WIRE_LEN).fork();
    double(w, 1, p.quantiles[i]!);
    double(w, 2, p.values[i]!);
    w.join(q);
  }
  if (p.flags !== 0) w.tag(8, WIRE_VARINT).uint32(p.flags);
  w.join(m);
}

function encodeData(w: ProtobufWriter, d: MetricData, o: EncodeOptions): void {
  const field = { gauge: 5, sum: 7, histogram: 9, exponentialHistogram: 10, summary: 11, none: 0 }[d.type];
  if (d.type === "none") return;
  const m = w.tag(field, WIRE_LEN).fork();
  switch (d.type) {
    case "gauge":
      for (const p of d.dataPoints) encodeNumberPoint(w, p, o);
      break;
    case "sum":
      for (const p of d.dataPoints) encodeNumberPoint(w, p, o);
      if (d.aggregationTemporality !== 0) w.tag(2, WIRE_VARINT).int64(d.aggregationTemporality);
      if (d.isMonotonic) w.tag(3, WIRE_VARINT).bool(true);
      break;
    case "histogram":
      for (const p of d.dataPoints) encodeHistogramPoint(w, p, o);
      if (d.aggregationTemporality !== 0) w.tag(2, WIRE_VARINT).int64(d.aggregationTemporality);
      break;
    case "exponentialHistogram":
      for (const p of d.dataPoints) encodeExponentialPoint(w, p, o);
      if (d.aggregationTemporality !== 0) w.tag(2, WIRE_VARINT).int64(d.aggregationTemporality);
      break;
    case "summary":
      for (const p of d.dataPoints) encodeSummaryPoint(w, p, o);
      break;
  }
  w.join(m);
}

function encodeMetric(w: ProtobufWriter, metric: Metric, o: EncodeOptions): void {
  const m = w.tag(2, WIRE_LEN).fork();
  if (metric.name !== "") w.tag(1, WIRE_LEN).string(metric.name);
  if (metric.description !== "") w.tag(2, WIRE_LEN).string(metric.description);
  if (metric.unit !== "") w.tag(3, WIRE_LEN).string(metric.unit);
  encodeData(w, metric.data, o);
  w.join(m);
}

/** Encodes `req` with our ProtobufWriter; safe integers only (RangeError otherwise). */
export function encodeRequest(
  req: ExportMetricsServiceRequest,
  o: EncodeOptions = { subMs: 0, packed: true },
): Uint8Array {
  const w = new ProtobufWriter();
  for (const rm of req.resourceMetrics) {
    const m = w.tag(1, WIRE_LEN).fork();
    const res = w.tag(1, WIRE_LEN).fork();
    for (const kv of rm.resource.attributes) encodeKeyValue(w, 1, kv);
    w.join(res);
    for (const sm of rm.scopeMetrics) {
      const s = w.tag(2, WIRE_LEN).fork();
      const sc = w.tag(1, WIRE_LEN).fork();
      if (sm.scope.name !== "") w.tag(1, WIRE_LEN).string(sm.scope.name);
      if (sm.scope.version !== "") w.tag(2, WIRE_LEN).string(sm.scope.version);
      for (const kv of sm.scope.attributes) encodeKeyValue(w, 3, kv);
      w.join(sc);
      for (const metric of sm.metrics) encodeMetric(w, metric, o);
      if (sm.schemaUrl !== "") w.tag(3, WIRE_LEN).string(sm.schemaUrl);
      w.join(s);
    }
    if (rm.schemaUrl !== "") w.tag(3, WIRE_LEN).string(rm.schemaUrl);
    w.join(m);
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries of our structure, within what each field can carry exactly.

const text = fc.string({ unit: "binary", maxLength: 12 });
const ms = fc.oneof(
  fc.constant(0),
  fc.constant(1_700_000_000_123),
  fc.integer({ min: 0, max: 18_446_744_073_709 }),
);
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 2048n }).map(Number);
const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1024n }).map(Number);
const anyDouble = fc.double();
const f64s = (arb: fc.Arbitrary<number>) => fc.array(arb, { maxLength: 5 }).map((a) => Float64Array.from(a));
const flags = fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 2 ** 32 - 1 }));

/**
 * Requests over the ranges each field can carry exactly. Only `wide` requests use 64-bit varints past
 * 2^53 (attribute ints, exponential bucket counts), which our ProtobufWriter cannot write; protobufjs can.
 */
function requestArbitrary(wide: boolean): fc.Arbitrary<ExportMetricsServiceRequest> {
  const { anyValue } = fc.letrec<{ anyValue: AnyValue; keyValue: KeyValue }>((tie) => ({
    anyValue: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.record({ kind: fc.constant("string" as const), value: text }),
      fc.record({ kind: fc.constant("bool" as const), value: fc.boolean() }),
      fc.record({
        kind: fc.constant("int" as const),
        value: wide ? fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) : fc.maxSafeInteger().map(BigInt),
      }),
      fc.record({ kind: fc.constant("double" as const), value: anyDouble }),
      fc.record({ kind: fc.constant("bytes" as const), value: fc.uint8Array({ maxLength: 6 }) }),
      fc.record({ kind: fc.constant("empty" as const) }),
      fc.record({ kind: fc.constant("array" as const), values: fc.array(tie("anyValue"), { maxLength: 3 }) }),
      fc.record({
        kind: fc.constant("kvlist" as const),
        values: fc.array(tie("keyValue"), { maxLength: 3 }),
      }),
    ),
    keyValue: fc.record({ key: text, value: tie("anyValue") }),
  }));
  const attributes = fc.array(fc.record({ key: text, value: anyValue }), { maxLength: 3 });
  const base = { attributes, startTimeMs: ms, timeMs: ms, flags };

  const numberPoint: fc.Arbitrary<NumberDataPoint> = fc.oneof(
    fc.record({ ...base, valueType: fc.constant("double" as const), value: anyDouble }),
    fc.record({ ...base, valueType: fc.constant("int" as const), value: i64 }),
    fc.record({ ...base, valueType: fc.constant("none" as const), value: fc.constant(0) }),
  );
  const optionalDouble = fc.option(anyDouble, { nil: undefined });
  const histogramPoint: fc.Arbitrary<HistogramDataPoint> = fc
    .record({
      ...base,
      count: u64,
      sum: optionalDouble,
      min: optionalDouble,
      max: optionalDouble,
      bucketCounts: f64s(u64),
      explicitBounds: f64s(anyDouble),
    })
    .map(({ sum, min, max, ...p }) => ({
      ...p,
      hasSum: sum !== undefined,
      sum: sum ?? 0,
      hasMin: min !== undefined,
      min: min ?? 0,
      hasMax: max !== undefined,
      max: max ?? 0,
    }));
  const buckets: fc.Arbitrary<ExponentialBuckets> = fc.record({
    offset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    bucketCounts: f64s(wide ? u64 : fc.maxSafeNat()),
  });
  const exponentialPoint: fc.Arbitrary<ExponentialHistogramDataPoint> = fc
    .record({
      ...base,
      count: u64,
      sum: optionalDouble,
      min: optionalDouble,
      max: optionalDouble,
      scale: fc.integer({ min: -10, max: 20 }),
      zeroCount: u64,
      zeroThreshold: anyDouble,
      positive: buckets,
      negative: buckets,
    })
    .map(({ sum, min, max, ...p }) => ({
      ...p,
      hasSum: sum !== undefined,
      sum: sum ?? 0,
      hasMin: min !== undefined,
      min: min ?? 0,
      hasMax: max !== undefined,
      max: max ?? 0,
    }));
  const summaryPoint: fc.Arbitrary<SummaryDataPoint> = fc
    .record({
      ...base,
      count: u64,
      sum: anyDouble,
      qv: fc.array(fc.tuple(anyDouble, anyDouble), { maxLength: 4 }),
    })
    .map(({ qv, ...p }) => ({
      ...p,
      quantiles: Float64Array.from(qv, ([q]) => q),
      values: Float64Array.from(qv, ([, v]) => v),
    }));
  const temporality = fc.integer({ min: 0, max: 2 });
  const points = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { maxLength: 3 });
  const metricData: fc.Arbitrary<MetricData> = fc.oneof(
    fc.record({ type: fc.constant("gauge" as const), dataPoints: points(numberPoint) }),
    fc.record({
      type: fc.constant("sum" as const),
      aggregationTemporality: temporality,
      isMonotonic: fc.boolean(),
      dataPoints: points(numberPoint),
    }),
    fc.record({
      type: fc.constant("histogram" as const),
      aggregationTemporality: temporality,
      dataPoints: points(histogramPoint),
    }),
    fc.record({
      type: fc.constant("exponentialHistogram" as const),
      aggregationTemporality: temporality,
      dataPoints: points(exponentialPoint),
    }),
    fc.record({ type: fc.constant("summary" as const), dataPoints: points(summaryPoint) }),
    fc.record({ type: fc.constant("none" as const) }),
  );
  return fc.record({
    resourceMetrics: fc.array(
      fc.record({
        resource: fc.record({ attributes }),
        schemaUrl: text,
        scopeMetrics: fc.array(
          fc.record({
            scope: fc.record({ name: text, version: text, attributes }),
            schemaUrl: text,
            metrics: fc.array(fc.record({ name: text, description: text, unit: text, data: metricData }), {
              maxLength: 3,
            }),
          }),
          { maxLength: 2 },
        ),
      }),
      { maxLength: 2 },
    ),
  });
}
/** Arbitrary requests whose integers our ProtobufWriter can write. */
export const request = requestArbitrary(false);
/** Arbitrary requests over the full 64-bit ranges (encode them with protobufjs). */
export const wideRequest = requestArbitrary(true);
