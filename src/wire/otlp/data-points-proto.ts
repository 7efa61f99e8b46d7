/**
 * The four OTLP data point messages of `metrics/v1/metrics.proto` in protobuf: `NumberDataPoint`,
 * `HistogramDataPoint`, `ExponentialHistogramDataPoint` and `SummaryDataPoint`. Each reader takes the
 * reader positioned on the length prefix of a data point field. Exemplars are skipped.
 */
import { WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from "../../lib/protobuf/reader.js";
import type { OtlpReader } from "./common-proto.js";
import { bit, readKeyValue, skipUnknown, tag } from "./common-proto.js";
import type {
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  NumberDataPoint,
  SummaryDataPoint,
} from "./types.js";

// Fields with the same number in all four messages.
const DP_START = tag(2, WIRE_FIXED64);
const DP_TIME = tag(3, WIRE_FIXED64);
const DP_COUNT = tag(4, WIRE_FIXED64);
const DP_SUM = tag(5, WIRE_FIXED64);
// NumberDataPoint.
const NDP_AS_DOUBLE = tag(4, WIRE_FIXED64);
const NDP_EXEMPLARS = tag(5, WIRE_LEN);
const NDP_AS_INT = tag(6, WIRE_FIXED64);
const NDP_ATTRIBUTES = tag(7, WIRE_LEN);
const NDP_FLAGS = tag(8, WIRE_VARINT);
// HistogramDataPoint.
const HDP_BUCKET_COUNTS = tag(6, WIRE_FIXED64);
const HDP_BUCKET_COUNTS_PACKED = tag(6, WIRE_LEN);
const HDP_BOUNDS = tag(7, WIRE_FIXED64);
const HDP_BOUNDS_PACKED = tag(7, WIRE_LEN);
const HDP_EXEMPLARS = tag(8, WIRE_LEN);
const HDP_ATTRIBUTES = tag(9, WIRE_LEN);
const HDP_FLAGS = tag(10, WIRE_VARINT);
const HDP_MIN = tag(11, WIRE_FIXED64);
const HDP_MAX = tag(12, WIRE_FIXED64);
// ExponentialHistogramDataPoint and its Buckets.
const EDP_ATTRIBUTES = tag(1, WIRE_LEN);
const EDP_SCALE = tag(6, WIRE_VARINT);
const EDP_ZERO_COUNT = tag(7, WIRE_FIXED64);
const EDP_POSITIVE = tag(8, WIRE_LEN);
const EDP_NEGATIVE = tag(9, WIRE_LEN);
const EDP_FLAGS = tag(10, WIRE_VARINT);
const EDP_EXEMPLARS = tag(11, WIRE_LEN);
const EDP_MIN = tag(12, WIRE_FIXED64);
const EDP_MAX = tag(13, WIRE_FIXED64);
const EDP_ZERO_THRESHOLD = tag(14, WIRE_FIXED64);
const BUCKETS_OFFSET = tag(1, WIRE_VARINT);
const BUCKETS_COUNTS = tag(2, WIRE_VARINT);
const BUCKETS_COUNTS_PACKED = tag(2, WIRE_LEN);
// SummaryDataPoint and ValueAtQuantile.
const SDP_QUANTILES = tag(6, WIRE_LEN);
const SDP_ATTRIBUTES = tag(7, WIRE_LEN);
const SDP_FLAGS = tag(8, WIRE_VARINT);
const VAQ_QUANTILE = tag(1, WIRE_FIXED64);
const VAQ_VALUE = tag(2, WIRE_FIXED64);

const KNOWN_NUMBER_POINT = bit(2, 3, 4, 5, 6, 7, 8);
const KNOWN_HISTOGRAM_POINT = bit(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
const KNOWN_EXP_POINT = bit(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
const KNOWN_BUCKETS = bit(1, 2);
const KNOWN_SUMMARY_POINT = bit(2, 3, 4, 5, 6, 7, 8);
const KNOWN_QUANTILE = bit(1, 2);

/** A Float64Array that grows, for repeated fields whose length is not known up front. */
class F64List {
  #a = new Float64Array(8);
  #n = 0;

  push(v: number): void {
    if (this.#n === this.#a.length) {
      const next = new Float64Array(this.#n * 2);
      next.set(this.#a);
      this.#a = next;
    }
    this.#a[this.#n++] = v;
  }

  /** A copy holding exactly the pushed values. */
  toArray(): Float64Array {
    return this.#a.slice(0, this.#n);
  }
}

/** Reads a length-delimited `NumberDataPoint` (a gauge or sum point). */
export function readNumberPoint(r: OtlpReader): NumberDataPoint {
  const outer = r.pushLimit();
  const p: NumberDataPoint = {
    attributes: [],
    startTimeMs: 0,
    timeMs: 0,
    flags: 0,
    valueType: "none",
    value: 0,
  };
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === NDP_ATTRIBUTES) p.attributes.push(readKeyValue(r));
    else if (t === DP_TIME) p.timeMs = r.nanosAsMs();
    else if (t === NDP_AS_DOUBLE) {
      p.valueType = "double";
      p.value = r.double();
    } else if (t === NDP_AS_INT) {
      p.valueType = "int";
      p.value = r.sfixed64();
    } else if (t === DP_START) p.startTimeMs = r.nanosAsMs();
    else if (t === NDP_FLAGS) p.flags = r.uint32();
    else if (t === NDP_EXEMPLARS) r.skip(WIRE_LEN);
    else skipUnknown(r, t, "NumberDataPoint", KNOWN_NUMBER_POINT);
  }
  r.popLimit(outer);
  return p;
}

/** Reads a length-delimited `HistogramDataPoint`; bucket counts and bounds may be packed or not. */
export function readHistogramPoint(r: OtlpReader): HistogramDataPoint {
  const outer = r.pushLimit();
  const counts = new F64List();
  const bounds = new F64List();
  const p: HistogramDataPoint = {
    attributes: [],
    startTimeMs: 0,
    timeMs: 0,
    flags: 0,
    count: 0,
    hasSum: false,
    sum: 0,
    bucketCounts: new Float64Array(0),
    explicitBounds: new Float64Array(0),
    hasMin: false,
    min: 0,
    hasMax: false,
    max: 0,
  };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t) {
      case HDP_ATTRIBUTES:
        p.attributes.push(readKeyValue(r));
        break;
      case DP_START:
        p.startTimeMs = r.nanosAsMs();
        break;
      case DP_TIME:
        p.timeMs = r.nanosAsMs();
        break;
      case DP_COUNT:
        p.count = r.fixed64();
        break;
      case DP_SUM:
        p.hasSum = true;
        p.sum = r.double();
        break;
      case HDP_BUCKET_COUNTS:
        counts.push(r.fixed64());
        break;
      case HDP_BUCKET_COUNTS_PACKED: {
        const inner = r.pushLimit();
        while (r.pos < r.end) counts.push(r.fixed64());
        r.popLimit(inner);
        break;
      }
      case HDP_BOUNDS:
        bounds.push(r.double());
        break;
      case HDP_BOUNDS_PACKED: {
        const inner = r.pushLimit();
        while (r.pos < r.end) bounds.push(r.double());
        r.popLimit(inner);
        break;
      }
      case HDP_FLAGS:
        p.flags = r.uint32();
        break;
      case HDP_MIN:
        p.hasMin = true;
        p.min = r.double();
        break;
      case HDP_MAX:
        p.hasMax = true;
        p.max = r.double();
        break;
      case HDP_EXEMPLARS:
        r.skip(WIRE_LEN);
        break;
      default:
        skipUnknown(r, t, "HistogramDataPoint", KNOWN_HISTOGRAM_POINT);
    }
  }
  r.popLimit(outer);
  p.bucketCounts = counts.toArray();
  p.explicitBounds = bounds.toArray();
  return p;
}

/** Reads a length-delimited `ExponentialHistogramDataPoint`. */
export function readExponentialPoint(r: OtlpReader): ExponentialHistogramDataPoint {
  const outer = r.pushLimit();
  const positive = new F64List();
  const negative = new F64List();
  const p: ExponentialHistogramDataPoint = {
    attributes: [],
    startTimeMs: 0,
    timeMs: 0,
    flags: 0,
    count: 0,
    hasSum: false,
    sum: 0,
    scale: 0,
    zeroCount: 0,
    zeroThreshold: 0,
    positive: { offset: 0, bucketCounts: new Float64Array(0) },
    negative: { offset: 0, bucketCounts: new Float64Array(0) },
    hasMin: false,
    min: 0,
    hasMax: false,
    max: 0,
  };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t) {
      case EDP_ATTRIBUTES:
        p.attributes.push(readKeyValue(r));
        break;
      case DP_START:
        p.startTimeMs = r.nanosAsMs();
        break;
      case DP_TIME:
        p.timeMs = r.nanosAsMs();
        break;
      case DP_COUNT:
        p.count = r.fixed64();
        break;
      case DP_SUM:
        p.hasSum = true;
        p.sum = r.double();
        break;
      case EDP_SCALE:
        p.scale = r.sint32();
        break;
      case EDP_ZERO_COUNT:
        p.zeroCount = r.fixed64();
        break;
      case EDP_POSITIVE:
        readBuckets(r, p.positive, positive);
        break;
      case EDP_NEGATIVE:
        readBuckets(r, p.negative, negative);
        break;
      case EDP_FLAGS:
        p.flags = r.uint32();
        break;
      case EDP_MIN:
        p.hasMin = true;
        p.min = r.double();
        break;
      case EDP_MAX:
        p.hasMax = true;
        p.max = r.double();
        break;
      case EDP_ZERO_THRESHOLD:
        p.zeroThreshold = r.double();
        break;
      case EDP_EXEMPLARS:
        r.skip(WIRE_LEN);
        break;
      default:
        skipUnknown(r, t, "ExponentialHistogramDataPoint", KNOWN_EXP_POINT);
    }
  }
  r.popLimit(outer);
  p.positive.bucketCounts = positive.toArray();
  p.negative.bucketCounts = negative.toArray();
  return p;
}

/** Reads a length-delimited `Buckets` field: the offset into `into`, the counts into `counts`. */
function readBuckets(r: OtlpReader, into: ExponentialBuckets, counts: F64List): void {
  const outer = r.pushLimit();
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === BUCKETS_COUNTS_PACKED) {
      const inner = r.pushLimit();
      while (r.pos < r.end) counts.push(r.uint64());
      r.popLimit(inner);
    } else if (t === BUCKETS_OFFSET) into.offset = r.sint32();
    else if (t === BUCKETS_COUNTS) counts.push(r.uint64());
    else skipUnknown(r, t, "Buckets", KNOWN_BUCKETS);
  }
  r.popLimit(outer);
}

/** Reads a length-delimited `SummaryDataPoint`. */
export function readSummaryPoint(r: OtlpReader): SummaryDataPoint {
  const outer = r.pushLimit();
  const quantiles = new F64List();
  const values = new F64List();
  const p: SummaryDataPoint = {
    attributes: [],
    startTimeMs: 0,
    timeMs: 0,
    flags: 0,
    count: 0,
    sum: 0,
    quantiles: new Float64Array(0),
    values: new Float64Array(0),
  };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t) {
      case SDP_ATTRIBUTES:
        p.attributes.push(readKeyValue(r));
        break;
      case DP_START:
        p.startTimeMs = r.nanosAsMs();
        break;
      case DP_TIME:
        p.timeMs = r.nanosAsMs();
        break;
      case DP_COUNT:
        p.count = r.fixed64();
        break;
      case DP_SUM:
        p.sum = r.double();
        break;
      case SDP_QUANTILES: {
        const inner = r.pushLimit();
        let q = 0;
        let v = 0;
        while (r.pos < r.end) {
          const qt = r.tag();
          if (qt === VAQ_QUANTILE) q = r.double();
          else if (qt === VAQ_VALUE) v = r.double();
          else skipUnknown(r, qt, "ValueAtQuantile", KNOWN_QUANTILE);
        }
        r.popLimit(inner);
        quantiles.push(q);
        values.push(v);
        break;
      }
      case SDP_FLAGS:
        p.flags = r.uint32();
        break;
      default:
        skipUnknown(r, t, "SummaryDataPoint", KNOWN_SUMMARY_POINT);
    }
  }
  r.popLimit(outer);
  p.quantiles = quantiles.toArray();
  p.values = values.toArray();
  return p;
}
