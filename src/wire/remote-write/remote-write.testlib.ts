/**
 * Test support for the remote-write codecs: independent protobufjs codecs built from schemas written
 * here from the field tables of the spec (prom-api.md §7–8), fast-check arbitraries, and a sink that
 * records everything a hot-path decoder hands it.
 */
import fc from "fast-check";
import protobuf from "protobufjs";
import { STALE_NAN } from "../../model/stale.js";
import type { Histogram } from "./histogram.js";
import type { RawLabels } from "./raw-labels.js";
import type { LabelV1 } from "./v1.js";
import type { RequestV2, TimeSeriesV2 } from "./v2.js";
import type { WriteSink } from "./write-sink.js";

const HISTOGRAM_FIELDS = `
    oneof count { uint64 count_int = 1; double count_float = 2; }
    double sum = 3;
    sint32 schema = 4;
    double zero_threshold = 5;
    oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
    repeated BucketSpan negative_spans = 8;
    repeated sint64 negative_deltas = 9;
    repeated double negative_counts = 10;
    repeated BucketSpan positive_spans = 11;
    repeated sint64 positive_deltas = 12;
    repeated double positive_counts = 13;
    ResetHint reset_hint = 14;
    int64 timestamp = 15;
    repeated double custom_values = 16;
    enum ResetHint { UNKNOWN = 0; YES = 1; NO = 2; GAUGE = 3; }`;

/** protobufjs's `prometheus.WriteRequest` (1.0, with native histograms as in `prompb`). */
export const PbWriteRequest = protobuf
  .parse(`
    syntax = "proto3";
    package prometheus;
    message WriteRequest {
      repeated TimeSeries timeseries = 1;
      reserved 2;
      repeated MetricMetadata metadata = 3;
    }
    message MetricMetadata {
      enum MetricType {
        UNKNOWN = 0; COUNTER = 1; GAUGE = 2; HISTOGRAM = 3;
        GAUGEHISTOGRAM = 4; SUMMARY = 5; INFO = 6; STATESET = 7;
      }
      MetricType type = 1;
      string metric_family_name = 2;
      string help = 4;
      string unit = 5;
    }
    message Sample { double value = 1; int64 timestamp = 2; }
    message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
    message BucketSpan { sint32 offset = 1; uint32 length = 2; }
    message Histogram {${HISTOGRAM_FIELDS}
    }
    message TimeSeries {
      repeated Label labels = 1;
      repeated Sample samples = 2;
      repeated Exemplar exemplars = 3;
      repeated Histogram histograms = 4;
    }
    message Label { string name = 1; string value = 2; }
  `)
  .root.lookupType("prometheus.WriteRequest");

/** protobufjs's `io.prometheus.write.v2.Request` (2.0-rc.4). */
export const PbRequestV2 = protobuf
  .parse(`
    syntax = "proto3";
    package io.prometheus.write.v2;
    message Request {
      reserved 1 to 3;
      repeated string symbols = 4;
      repeated TimeSeries timeseries = 5;
    }
    message TimeSeries {
      repeated uint32 labels_refs = 1;
      repeated Sample samples = 2;
      repeated Histogram histograms = 3;
      repeated Exemplar exemplars = 4;
      Metadata metadata = 5;
      reserved 6;
    }
    message Exemplar { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
    message Sample { double value = 1; int64 timestamp = 2; int64 start_timestamp = 3; }
    message Metadata {
      enum MetricType {
        METRIC_TYPE_UNSPECIFIED = 0; METRIC_TYPE_COUNTER = 1; METRIC_TYPE_GAUGE = 2;
        METRIC_TYPE_HISTOGRAM = 3; METRIC_TYPE_GAUGEHISTOGRAM = 4; METRIC_TYPE_SUMMARY = 5;
        METRIC_TYPE_INFO = 6; METRIC_TYPE_STATESET = 7;
      }
      MetricType type = 1;
      reserved 2;
      uint32 help_ref = 3;
      uint32 unit_ref = 4;
    }
    message BucketSpan { sint32 offset = 1; uint32 length = 2; }
    message Histogram {${HISTOGRAM_FIELDS}
      int64 start_timestamp = 17;
    }
  `)
  .root.lookupType("io.prometheus.write.v2.Request");

/** Options for protobufjs's `toObject` that give plain numbers and every field. */
export const PB_OBJECT = {
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
  oneofs: true,
} as const;

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The bit pattern of a double, so that NaN payloads and -0 compare exactly. */
export function bitsOf(v: number): string {
  f64[0] = v;
  return u64[0]!.toString(16);
}

/** The double with bit pattern `b`. */
export function fromBits(b: bigint): number {
  u64[0] = b;
  return f64[0]!;
}

/** Any double: ordinary ones, the special values, the stale marker and random bit patterns. */
export const anyDouble = fc.oneof(
  fc.double(),
  fc.constantFrom(STALE_NAN, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(fromBits),
);

/**
 * Lists of any doubles as a Float64Array, built from bit patterns: a JS array would quiet a
 * signaling NaN such as the stale marker (V8 sets its quiet bit on storing it).
 */
export function doubles(maxLength: number): fc.Arbitrary<Float64Array> {
  const bits = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fc.constantFrom(0x7ff0000000000002n, 0n, 0x3ff0000000000000n),
  );
  return fc.array(bits, { maxLength }).map((b) => new Float64Array(BigUint64Array.from(b).buffer));
}

/** Unix ms timestamps, including negative and huge ones. */
export const timestamp = fc.oneof(
  fc.maxSafeInteger(),
  fc.integer({ min: -1, max: 1 }),
  fc.constant(1_700_000_000_000),
  fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
);

/**
 * Label text: any Unicode (no lone surrogates, which UTF-8 cannot carry), or one of a few names,
 * so that repeated names, `__name__`, empty strings and multi-byte text are common.
 */
export const labelText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("__name__", "job", "a", "b", "", "é", "\u{1F600}", "\uE000", "up"),
);

/** One label as sent. */
export const label: fc.Arbitrary<LabelV1> = fc.record({ name: labelText, value: labelText });

/** A label set that is often valid: `__name__` first, then distinct names, sometimes shuffled. */
export const labelSet: fc.Arbitrary<LabelV1[]> = fc.oneof(
  fc.array(label, { maxLength: 6 }),
  fc
    .tuple(
      fc.string({ unit: "binary", minLength: 1, maxLength: 10 }),
      fc.uniqueArray(fc.string({ unit: "binary", minLength: 1, maxLength: 8 }), { maxLength: 6 }),
      fc.array(fc.string({ unit: "binary", minLength: 1, maxLength: 8 }), { minLength: 6, maxLength: 6 }),
    )
    .map(([name, names, values]) => [
      { name: "__name__", value: name },
      ...names.filter((n) => n !== "__name__").map((n, i) => ({ name: n, value: values[i]! })),
    ]),
);

const span = fc.record({ offset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), length: fc.nat() });
const common = (v2: boolean) =>
  fc.record({
    sum: anyDouble,
    schema: fc.oneof(
      fc.integer({ min: -4, max: 8 }),
      fc.constant(-53),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    ),
    zeroThreshold: anyDouble,
    negativeSpans: fc.array(span, { maxLength: 3 }),
    positiveSpans: fc.array(span, { maxLength: 3 }),
    resetHint: fc.integer({ min: 0, max: 3 }),
    timestamp,
    customValues: doubles(3),
    startTimestamp: v2 ? timestamp : fc.constant(0),
  });

/** A native histogram, integer or float; `startTimestamp` only when `v2`. */
export function histogram(v2: boolean): fc.Arbitrary<Histogram> {
  const deltas = fc.array(fc.maxSafeInteger(), { maxLength: 5 });
  const counts = doubles(5);
  const int = fc
    .record({ c: common(v2), count: fc.maxSafeNat(), zeroCount: fc.maxSafeNat(), neg: deltas, pos: deltas })
    .map(
      ({ c, count, zeroCount, neg, pos }): Histogram => ({
        kind: "int",
        count,
        zeroCount,
        negativeDeltas: neg,
        positiveDeltas: pos,
        ...c,
      }),
    );
  const float = fc
    .record({ c: common(v2), count: anyDouble, zeroCount: anyDouble, neg: counts, pos: counts })
    .map(
      ({ c, count, zeroCount, neg, pos }): Histogram => ({
        kind: "float",
        count,
        zeroCount,
        negativeCounts: neg,
        positiveCounts: pos,
        ...c,
      }),
    );
  return fc.oneof(int, float);
}

/**
 * A histogram with every double replaced by its bits. With `anyNaNInLists`, every NaN in the lists
 * reads "NaN": protobufjs keeps them in JS arrays, which quiet signaling NaNs, and its packed
 * writer makes every NaN the canonical one.
 */
export function comparableHistogram(h: Histogram, anyNaNInLists = false) {
  const list = (a: Float64Array) =>
    Array.from(a, (v) => (anyNaNInLists && Number.isNaN(v) ? "NaN" : bitsOf(v)));
  const common = {
    sum: bitsOf(h.sum),
    schema: h.schema,
    zeroThreshold: bitsOf(h.zeroThreshold),
    negativeSpans: h.negativeSpans,
    positiveSpans: h.positiveSpans,
    resetHint: h.resetHint,
    timestamp: h.timestamp,
    customValues: list(h.customValues),
    startTimestamp: h.startTimestamp,
  };
  return h.kind === "int"
    ? {
        kind: h.kind,
        count: h.count,
        zeroCount: h.zeroCount,
        neg: h.negativeDeltas,
        pos: h.positiveDeltas,
        ...common,
      }
    : {
        kind: h.kind,
        count: bitsOf(h.count),
        zeroCount: bitsOf(h.zeroCount),
        neg: list(h.negativeCounts),
        pos: list(h.positiveCounts),
        ...common,
      };
}

/** `h` as the plain object protobufjs's `fromObject` takes. */
export function histogramToPb(h: Histogram, v2: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {
    sum: h.sum,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    negativeSpans: h.negativeSpans,
    positiveSpans: h.positiveSpans,
    resetHint: h.resetHint,
    timestamp: h.timestamp,
    customValues: Array.from(h.customValues),
  };
  if (v2) o.startTimestamp = h.startTimestamp;
  if (h.kind === "int") {
    Object.assign(o, {
      countInt: h.count,
      zeroCountInt: h.zeroCount,
      negativeDeltas: h.negativeDeltas,
      positiveDeltas: h.positiveDeltas,
    });
  } else {
    Object.assign(o, {
      countFloat: h.count,
      zeroCountFloat: h.zeroCount,
      negativeCounts: Array.from(h.negativeCounts),
      positiveCounts: Array.from(h.positiveCounts),
    });
  }
  return o;
}

/** A histogram from protobufjs's `toObject` (with {@link PB_OBJECT}) in our shape. */
export function histogramFromPb(o: Record<string, unknown>): Histogram {
  const num = (k: string) => o[k] as number;
  const common = {
    sum: num("sum"),
    schema: num("schema"),
    zeroThreshold: num("zeroThreshold"),
    negativeSpans: (o.negativeSpans as { offset: number; length: number }[]).map((s) => ({ ...s })),
    positiveSpans: (o.positiveSpans as { offset: number; length: number }[]).map((s) => ({ ...s })),
    resetHint: num("resetHint"),
    timestamp: num("timestamp"),
    customValues: Float64Array.from(o.customValues as number[]),
    startTimestamp: (o.startTimestamp as number | undefined) ?? 0,
  };
  return o.count === "countFloat"
    ? {
        kind: "float",
        count: num("countFloat"),
        zeroCount: (o.zeroCountFloat as number | undefined) ?? 0,
        negativeCounts: Float64Array.from(o.negativeCounts as number[]),
        positiveCounts: Float64Array.from(o.positiveCounts as number[]),
        ...common,
      }
    : {
        kind: "int",
        count: (o.countInt as number | undefined) ?? 0,
        zeroCount: (o.zeroCountInt as number | undefined) ?? 0,
        negativeDeltas: o.negativeDeltas as number[],
        positiveDeltas: o.positiveDeltas as number[],
        ...common,
      };
}

const sampleV2 = fc.record({
  value: anyDouble,
  timestamp,
  startTimestamp: fc.oneof(fc.constant(0), timestamp),
});
const exemplarV2 = fc.record({ labels: labelSet, value: anyDouble, timestamp });
const metadataV2 = fc.record({
  type: fc.integer({ min: 0, max: 7 }),
  help: fc.oneof(fc.constant(""), labelText),
  unit: fc.oneof(fc.constant(""), labelText),
});
const seriesV2: fc.Arbitrary<TimeSeriesV2> = fc.record({
  labels: labelSet,
  samples: fc.array(sampleV2, { maxLength: 4 }),
  histograms: fc.array(histogram(true), { maxLength: 2 }),
  exemplars: fc.array(exemplarV2, { maxLength: 2 }),
  metadata: metadataV2,
});
/** Mostly valid 2.0 requests: a series has samples or histograms, rarely both. */
export const requestV2: fc.Arbitrary<RequestV2> = fc.record({
  timeseries: fc.array(
    fc.oneof(
      { weight: 4, arbitrary: seriesV2.map((ts) => ({ ...ts, histograms: [] as Histogram[] })) },
      { weight: 2, arbitrary: seriesV2.map((ts) => ({ ...ts, samples: [] })) },
      { weight: 1, arbitrary: seriesV2 },
    ),
    { maxLength: 4 },
  ),
});

const refs = fc.array(fc.oneof(fc.nat(3), fc.nat(9)), { maxLength: 7 });
/** A 2.0 series as protobufjs takes it, with arbitrary (often invalid) references. */
export const rawSeriesV2 = fc.record({
  labelsRefs: refs,
  samples: fc.array(fc.record({ value: anyDouble, timestamp, startTimestamp: timestamp }), { maxLength: 2 }),
  histograms: fc.array(histogram(true), { maxLength: 1 }),
  exemplars: fc.array(
    fc.record({ labelsRefs: refs, value: anyDouble, timestamp: fc.oneof(fc.constant(0), timestamp) }),
    {
      maxLength: 2,
    },
  ),
  metadata: fc.option(
    fc.record({
      type: fc.nat(7),
      helpRef: fc.oneof(fc.constant(0), fc.nat(9)),
      unitRef: fc.oneof(fc.constant(0), fc.nat(9)),
    }),
    { nil: undefined },
  ),
});
/** A 2.0 request with arbitrary references; its first symbol is not always "". */
export const rawRequestV2 = fc.record({
  symbols: fc.oneof(
    fc.array(labelText, { maxLength: 8 }).map((rest) => ["", ...rest]),
    fc.constant([] as string[]),
    fc.array(labelText, { minLength: 1, maxLength: 3 }),
  ),
  timeseries: fc.array(rawSeriesV2, { maxLength: 3 }),
});
/** A value of {@link rawSeriesV2}. */
export type RawSeriesV2 = typeof rawSeriesV2 extends fc.Arbitrary<infer T> ? T : never;

/** protobufjs's bytes for a request with raw references. */
export function pbBytesV2(req: { symbols: string[]; timeseries: RawSeriesV2[] }): Uint8Array {
  const obj = {
    symbols: req.symbols,
    timeseries: req.timeseries.map((ts) => ({
      ...ts,
      histograms: ts.histograms.map((h) => histogramToPb(h, true)),
    })),
  };
  return PbRequestV2.encode(PbRequestV2.fromObject(obj)).finish();
}

/** Everything a sink was handed for one series, copied out of the views. */
export interface RecordedSeries {
  labels: LabelV1[];
  problem: string | undefined;
  hash: number;
  /** `[timestamp, value bits, start timestamp]` per sample. */
  samples: [number, string, number][];
  histograms: Histogram[];
  exemplars: { labels: LabelV1[]; value: string; timestamp: number }[];
  metadata: { type: number; familyName: string; help: string; unit: string }[];
}

/** Which optional methods a {@link recordingSink} has. */
export interface RecordingOptions {
  batch?: boolean;
  histograms?: boolean;
  exemplars?: boolean;
  metadata?: boolean;
  /** Returns -1 from `series` for these indexes. */
  skip?: (index: number) => boolean;
}

/** The labels of a view, in wire order. */
export function rawPairs(labels: RawLabels): LabelV1[] {
  const out: LabelV1[] = [];
  for (let i = 0; i < labels.count; i++) out.push({ name: labels.nameAt(i), value: labels.valueAt(i) });
  return out;
}

/**
 * A sink that records every call. Request-level (1.0) metadata goes to `requestMetadata`. Series
 * skipped by `options.skip` are recorded too, so any data reaching them shows.
 */
export function recordingSink(options: RecordingOptions = {}) {
  const series: RecordedSeries[] = [];
  const requestMetadata: RecordedSeries["metadata"] = [];
  const current = (handle: number): RecordedSeries => {
    const s = series[handle];
    if (s === undefined) throw new Error(`sink: unknown handle ${handle}`);
    return s;
  };
  const sink: WriteSink = {
    series(labels) {
      const problem = labels.problem();
      series.push({
        labels: rawPairs(labels),
        problem: problem?.code,
        hash: labels.hash,
        samples: [],
        histograms: [],
        exemplars: [],
        metadata: [],
      });
      return options.skip?.(series.length - 1) ? -1 : series.length - 1;
    },
    sample(handle, t, v, st) {
      current(handle).samples.push([t, bitsOf(v), st]);
    },
  };
  if (options.batch) {
    sink.samples = (handle, count, ts, vs, sts) => {
      for (let i = 0; i < count; i++) current(handle).samples.push([ts[i]!, bitsOf(vs[i]!), sts[i]!]);
    };
  }
  if (options.histograms ?? true) sink.histogram = (handle, h) => current(handle).histograms.push(h);
  if (options.exemplars ?? true) {
    sink.exemplar = (handle, labels, value, t) =>
      current(handle).exemplars.push({ labels: rawPairs(labels), value: bitsOf(value), timestamp: t });
  }
  if (options.metadata ?? true) {
    sink.metadata = (handle, type, familyName, help, unit) =>
      (handle < 0 ? requestMetadata : current(handle).metadata).push({ type, familyName, help, unit });
  }
  return { sink, series, requestMetadata };
}

/** Runs `fn` and returns what it threw, or undefined. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (err: unknown) {
    return err;
  }
}
