/**
 * The native `Histogram` message, identical in remote-write 1.0 (`prompb`, TimeSeries field 4) and
 * 2.0 (TimeSeries field 3), except for `start_timestamp` (field 17), which only 2.0 declares.
 *
 * Field numbers: count_int 1 / count_float 2 (oneof), sum 3, schema 4 (sint32), zero_threshold 5,
 * zero_count_int 6 / zero_count_float 7 (oneof), negative_spans 8, negative_deltas 9 (sint64),
 * negative_counts 10 (double), positive_spans 11, positive_deltas 12, positive_counts 13,
 * reset_hint 14, timestamp 15, custom_values 16, start_timestamp 17; BucketSpan{offset sint32 = 1,
 * length uint32 = 2}. Repeated numbers are read packed or unpacked, and written packed.
 */
import { type ProtobufReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from "../../lib/protobuf/reader.js";
import type { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { skipField } from "./framing.js";
import { SeriesProblem } from "./series-problem.js";

/** The `Histogram.ResetHint` enum. Unknown numbers decode as they are. */
export const ResetHint = {
  UNKNOWN: 0,
  YES: 1,
  NO: 2,
  GAUGE: 3,
} as const;

/** A run of `length` consecutive buckets, starting `offset` buckets after the end of the previous run. */
export interface BucketSpan {
  offset: number;
  length: number;
}

/** The fields that integer and float histograms share. Timestamps are Unix ms; 0 means unset. */
export interface HistogramCommon {
  /** Sum of observations; any float64, NaN payloads kept. */
  sum: number;
  /** Bucket resolution: -4 to 8 for exponential buckets, -53 for custom bounds (`customValues`). */
  schema: number;
  /** Width of the zero bucket: observations with absolute value up to it are counted there. */
  zeroThreshold: number;
  negativeSpans: BucketSpan[];
  positiveSpans: BucketSpan[];
  /** A {@link ResetHint} number. */
  resetHint: number;
  timestamp: number;
  /** Upper bounds of the custom buckets of schema -53, ascending; empty otherwise. */
  customValues: Float64Array;
  /** 2.0 only (field 17): when the counter behind this histogram started; 0 when unset or in 1.0. */
  startTimestamp: number;
}

/**
 * An integer histogram (`count_int` set): counts are whole numbers, and bucket counts are given as
 * deltas, each bucket's count minus the previous bucket's (the first is absolute), in span order.
 */
export interface IntHistogram extends HistogramCommon {
  kind: "int";
  count: number;
  zeroCount: number;
  negativeDeltas: number[];
  positiveDeltas: number[];
}

/**
 * A float histogram (`count_float` set): counts are float64, and bucket counts are absolute. Lists
 * of float64 are typed arrays because a JS array quiets signaling NaNs (such as the stale marker)
 * stored in it, while a typed array keeps every bit.
 */
export interface FloatHistogram extends HistogramCommon {
  kind: "float";
  count: number;
  zeroCount: number;
  negativeCounts: Float64Array;
  positiveCounts: Float64Array;
}

/**
 * One native histogram sample, integer or float. The kind follows the `count` oneof; when that is
 * unset, a histogram with `zero_count_float` or bucket counts is float, any other integer. A
 * histogram that mixes the two kinds' fields is refused (see {@link readHistogram}).
 */
export type Histogram = IntHistogram | FloatHistogram;

const H_COUNT_INT = (1 << 3) | WIRE_VARINT;
const H_COUNT_FLOAT = (2 << 3) | WIRE_FIXED64;
const H_SUM = (3 << 3) | WIRE_FIXED64;
const H_SCHEMA = (4 << 3) | WIRE_VARINT;
const H_ZERO_THRESHOLD = (5 << 3) | WIRE_FIXED64;
const H_ZERO_COUNT_INT = (6 << 3) | WIRE_VARINT;
const H_ZERO_COUNT_FLOAT = (7 << 3) | WIRE_FIXED64;
const H_NEGATIVE_SPANS = (8 << 3) | WIRE_LEN;
const H_NEGATIVE_DELTAS = (9 << 3) | WIRE_LEN;
const H_NEGATIVE_DELTA = (9 << 3) | WIRE_VARINT;
const H_NEGATIVE_COUNTS = (10 << 3) | WIRE_LEN;
const H_NEGATIVE_COUNT = (10 << 3) | WIRE_FIXED64;
const H_POSITIVE_SPANS = (11 << 3) | WIRE_LEN;
const H_POSITIVE_DELTAS = (12 << 3) | WIRE_LEN;
const H_POSITIVE_DELTA = (12 << 3) | WIRE_VARINT;
const H_POSITIVE_COUNTS = (13 << 3) | WIRE_LEN;
const H_POSITIVE_COUNT = (13 << 3) | WIRE_FIXED64;
const H_RESET_HINT = (14 << 3) | WIRE_VARINT;
const H_TIMESTAMP = (15 << 3) | WIRE_VARINT;
const H_CUSTOM_VALUES = (16 << 3) | WIRE_LEN;
const H_CUSTOM_VALUE = (16 << 3) | WIRE_FIXED64;
const H_START_TIMESTAMP = (17 << 3) | WIRE_VARINT;
const SPAN_OFFSET = (1 << 3) | WIRE_VARINT;
const SPAN_LENGTH = (2 << 3) | WIRE_VARINT;

const KNOWN_HISTOGRAM_V1 = 0x1fffe; // fields 1-16
const KNOWN_HISTOGRAM_V2 = 0x3fffe; // fields 1-17
const KNOWN_SPAN = (1 << 1) | (1 << 2);

// Which member of a oneof was read last.
const UNSET = 0;
const INT = 1;
const FLOAT = 2;

/**
 * Reads one Histogram message from `r`, which must be narrowed to it (see `pushLimit`). `v2`
 * declares field 17 (`start_timestamp`); in 1.0 it is an unknown field and skipped. Singular fields
 * read twice keep the last value, as protobuf requires; repeated fields accumulate.
 *
 * Returns a {@link SeriesProblem} `histogram_mixed_kinds` when integer fields (`count_int`,
 * `zero_count_int`, deltas) and float fields (`count_float`, `zero_count_float`, counts) are mixed.
 * Throws `ProtobufError` on bad framing. The result is new and owned by the caller.
 */
export function readHistogram(r: ProtobufReader, v2: boolean): Histogram | SeriesProblem {
  const known = v2 ? KNOWN_HISTOGRAM_V2 : KNOWN_HISTOGRAM_V1;
  let countKind = UNSET;
  let count = 0;
  let zeroKind = UNSET;
  let zeroCount = 0;
  let sum = 0;
  let schema = 0;
  let zeroThreshold = 0;
  let resetHint = 0;
  let timestamp = 0;
  let startTimestamp = 0;
  const negativeSpans: BucketSpan[] = [];
  const positiveSpans: BucketSpan[] = [];
  const negativeDeltas: number[] = [];
  const positiveDeltas: number[] = [];
  const negativeCounts = new DoubleList();
  const positiveCounts = new DoubleList();
  const customValues = new DoubleList();
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case H_COUNT_INT:
        count = r.uint64();
        countKind = INT;
        break;
      case H_COUNT_FLOAT:
        count = r.double();
        countKind = FLOAT;
        break;
      case H_SUM:
        sum = r.double();
        break;
      case H_SCHEMA:
        schema = r.sint32();
        break;
      case H_ZERO_THRESHOLD:
        zeroThreshold = r.double();
        break;
      case H_ZERO_COUNT_INT:
        zeroCount = r.uint64();
        zeroKind = INT;
        break;
      case H_ZERO_COUNT_FLOAT:
        zeroCount = r.double();
        zeroKind = FLOAT;
        break;
      case H_NEGATIVE_SPANS:
        negativeSpans.push(readSpan(r));
        break;
      case H_POSITIVE_SPANS:
        positiveSpans.push(readSpan(r));
        break;
      case H_NEGATIVE_DELTAS:
        readPackedSint64(r, negativeDeltas);
        break;
      case H_NEGATIVE_DELTA:
        negativeDeltas.push(r.sint64());
        break;
      case H_POSITIVE_DELTAS:
        readPackedSint64(r, positiveDeltas);
        break;
      case H_POSITIVE_DELTA:
        positiveDeltas.push(r.sint64());
        break;
      case H_NEGATIVE_COUNTS:
        negativeCounts.readPacked(r);
        break;
      case H_NEGATIVE_COUNT:
        negativeCounts.push(r.double());
        break;
      case H_POSITIVE_COUNTS:
        positiveCounts.readPacked(r);
        break;
      case H_POSITIVE_COUNT:
        positiveCounts.push(r.double());
        break;
      case H_RESET_HINT:
        resetHint = r.int32();
        break;
      case H_TIMESTAMP:
        timestamp = r.int64();
        break;
      case H_CUSTOM_VALUES:
        customValues.readPacked(r);
        break;
      case H_CUSTOM_VALUE:
        customValues.push(r.double());
        break;
      default:
        if (v2 && tag === H_START_TIMESTAMP) startTimestamp = r.int64();
        else skipField(r, tag, "Histogram", known);
    }
  }
  const hasInt = zeroKind === INT || negativeDeltas.length > 0 || positiveDeltas.length > 0;
  const hasFloat = zeroKind === FLOAT || negativeCounts.size > 0 || positiveCounts.size > 0;
  const isFloat = countKind === FLOAT || (countKind === UNSET && hasFloat);
  if (isFloat ? countKind === INT || hasInt : hasFloat) {
    return new SeriesProblem(
      "histogram_mixed_kinds",
      `a ${isFloat ? "float" : "integer"} histogram (at timestamp ${timestamp}) also has ${isFloat ? "integer" : "float"} fields (zero count or buckets)`,
    );
  }
  const common = {
    sum,
    schema,
    zeroThreshold,
    negativeSpans,
    positiveSpans,
    resetHint,
    timestamp,
    customValues: customValues.toArray(),
    startTimestamp,
  };
  return isFloat
    ? {
        kind: "float",
        count,
        zeroCount,
        negativeCounts: negativeCounts.toArray(),
        positiveCounts: positiveCounts.toArray(),
        ...common,
      }
    : { kind: "int", count, zeroCount, negativeDeltas, positiveDeltas, ...common };
}

/**
 * Writes `h` as field `field` (a Histogram message) of the message being written. The `count` and
 * `zero_count` oneofs are always written, even when 0, so that the kind survives; other fields
 * holding their default are left out. `start_timestamp` is written only when `v2` is set.
 * Integer fields and timestamps must be safe integers (RangeError otherwise).
 */
export function writeHistogram(w: ProtobufWriter, field: number, h: Histogram, v2: boolean): void {
  const m = w.tag(field, WIRE_LEN).fork();
  if (h.kind === "int") w.tag(1, WIRE_VARINT).uint64(h.count);
  else w.tag(2, WIRE_FIXED64).double(h.count);
  if (h.sum !== 0 || Object.is(h.sum, -0)) w.tag(3, WIRE_FIXED64).double(h.sum);
  if (h.schema !== 0) w.tag(4, WIRE_VARINT).sint32(h.schema);
  if (h.zeroThreshold !== 0 || Object.is(h.zeroThreshold, -0)) w.tag(5, WIRE_FIXED64).double(h.zeroThreshold);
  if (h.kind === "int") w.tag(6, WIRE_VARINT).uint64(h.zeroCount);
  else w.tag(7, WIRE_FIXED64).double(h.zeroCount);
  for (const s of h.negativeSpans) writeSpan(w, 8, s);
  if (h.kind === "int") writePackedSint64(w, 9, h.negativeDeltas);
  else writePackedDouble(w, 10, h.negativeCounts);
  for (const s of h.positiveSpans) writeSpan(w, 11, s);
  if (h.kind === "int") writePackedSint64(w, 12, h.positiveDeltas);
  else writePackedDouble(w, 13, h.positiveCounts);
  if (h.resetHint !== 0) w.tag(14, WIRE_VARINT).int64(h.resetHint);
  if (h.timestamp !== 0) w.tag(15, WIRE_VARINT).int64(h.timestamp);
  writePackedDouble(w, 16, h.customValues);
  if (v2 && h.startTimestamp !== 0) w.tag(17, WIRE_VARINT).int64(h.startTimestamp);
  w.join(m);
}

function readSpan(r: ProtobufReader): BucketSpan {
  const outer = r.pushLimit();
  let offset = 0;
  let length = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === SPAN_OFFSET) offset = r.sint32();
    else if (tag === SPAN_LENGTH) length = r.uint32();
    else skipField(r, tag, "BucketSpan", KNOWN_SPAN);
  }
  r.popLimit(outer);
  return { offset, length };
}

function readPackedSint64(r: ProtobufReader, out: number[]): void {
  const outer = r.pushLimit();
  while (r.pos < r.end) out.push(r.sint64());
  r.popLimit(outer);
}

/** A growing list of float64 that keeps every bit (see {@link FloatHistogram}). */
class DoubleList {
  #items = new Float64Array(8);
  size = 0;

  push(v: number): void {
    if (this.size === this.#items.length) this.#grow(this.size + 1);
    this.#items[this.size++] = v;
  }

  /** Appends the packed doubles of the length-delimited field at `r`. */
  readPacked(r: ProtobufReader): void {
    const outer = r.pushLimit();
    this.#grow(this.size + Math.floor((r.end - r.pos) / 8));
    while (r.pos < r.end) this.#items[this.size++] = r.double(); // a partial last one throws
    r.popLimit(outer);
  }

  /** The items, in a new array of the exact length. */
  toArray(): Float64Array {
    return this.#items.slice(0, this.size);
  }

  #grow(need: number): void {
    if (need <= this.#items.length) return;
    const next = new Float64Array(Math.max(need, this.#items.length * 2));
    next.set(this.#items.subarray(0, this.size));
    this.#items = next;
  }
}

function writeSpan(w: ProtobufWriter, field: number, s: BucketSpan): void {
  const m = w.tag(field, WIRE_LEN).fork();
  if (s.offset !== 0) w.tag(1, WIRE_VARINT).sint32(s.offset);
  if (s.length !== 0) w.tag(2, WIRE_VARINT).uint32(s.length);
  w.join(m);
}

function writePackedSint64(w: ProtobufWriter, field: number, values: readonly number[]): void {
  if (values.length === 0) return;
  const m = w.tag(field, WIRE_LEN).fork();
  for (const v of values) w.sint64(v);
  w.join(m);
}

function writePackedDouble(w: ProtobufWriter, field: number, values: Float64Array): void {
  if (values.length === 0) return;
  const m = w.tag(field, WIRE_LEN).fork();
  for (const v of values) w.double(v);
  w.join(m);
}
