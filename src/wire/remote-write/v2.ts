/**
 * Prometheus remote-write 2.0: the `io.prometheus.write.v2.Request` protobuf message (2.0-rc.4).
 * Strings are interned: the request carries a `symbols` table (`symbols[0]` is ""), and series,
 * exemplars and metadata refer to it by index. This is the codec only; the bytes are already
 * snappy-decompressed.
 *
 * Field numbers: Request{symbols 4, timeseries 5; 1-3 reserved}; TimeSeries{labels_refs 1 (uint32
 * pairs), samples 2, histograms 3, exemplars 4, metadata 5; 6 reserved}; Sample{value 1 double,
 * timestamp 2 int64, start_timestamp 3 int64}; Exemplar{labels_refs 1, value 2, timestamp 3};
 * Metadata{type 1, help_ref 3, unit_ref 4}; Histogram as in `histogram.ts`, with start_timestamp 17.
 *
 * Decoding resolves every reference, so the result holds strings, not refs. Problems that make one
 * series invalid under the spec are reported on that series ({@link DecodedTimeSeriesV2.problem}),
 * so that a receiver can refuse it alone; bytes that are not a valid Request throw {@link WireError}.
 */
import {
  ProtobufError,
  ProtobufReader,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from "../../lib/protobuf/reader.js";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { METRIC_NAME } from "../../model/labels.js";
import { WireError } from "../errors.js";
import { skipField, stepOver } from "./framing.js";
import { type Histogram, readHistogram, writeHistogram } from "./histogram.js";
import { SeriesProblem } from "./series-problem.js";
import type { LabelV1 } from "./v1.js";

/** One label, as sent: nothing guarantees order, uniqueness or non-empty strings. */
export type LabelV2 = LabelV1;

/** One float sample. Timestamps are Unix ms; `startTimestamp` 0 means unset. NaN payloads are kept. */
export interface SampleV2 {
  value: number;
  timestamp: number;
  startTimestamp: number;
}

/** One exemplar: its own labels (e.g. `trace_id`), a value and a Unix ms timestamp (required, not 0). */
export interface ExemplarV2 {
  labels: LabelV2[];
  value: number;
  timestamp: number;
}

/** The `Metadata.MetricType` enum of 2.0 (`METRIC_TYPE_*`); the numbers are those of 1.0. */
export const MetricTypeV2 = {
  UNSPECIFIED: 0,
  COUNTER: 1,
  GAUGE: 2,
  HISTOGRAM: 3,
  GAUGEHISTOGRAM: 4,
  SUMMARY: 5,
  INFO: 6,
  STATESET: 7,
} as const;

/** A series' metadata; `type` is a {@link MetricTypeV2} number. All default (0, "") when not sent. */
export interface MetadataV2 {
  type: number;
  help: string;
  unit: string;
}

/** One series with its complete label set, as an encoder takes it. */
export interface TimeSeriesV2 {
  labels: LabelV2[];
  samples: SampleV2[];
  histograms: Histogram[];
  exemplars: ExemplarV2[];
  metadata: MetadataV2;
}

/**
 * One decoded series. When `problem` is set the series is invalid and must be refused; its other
 * fields are then best effort (labels whose references are out of range are left out).
 */
export interface DecodedTimeSeriesV2 extends TimeSeriesV2 {
  problem: SeriesProblem | undefined;
}

/** A remote-write 2.0 request, as an encoder takes it. */
export interface RequestV2 {
  timeseries: TimeSeriesV2[];
}

/** A decoded remote-write 2.0 request. */
export interface DecodedRequestV2 {
  timeseries: DecodedTimeSeriesV2[];
}

const RQ_SYMBOLS = (4 << 3) | WIRE_LEN;
const RQ_TIMESERIES = (5 << 3) | WIRE_LEN;
const TS_LABELS_PACKED = (1 << 3) | WIRE_LEN;
const TS_LABELS_ONE = (1 << 3) | WIRE_VARINT;
const TS_SAMPLES = (2 << 3) | WIRE_LEN;
const TS_HISTOGRAMS = (3 << 3) | WIRE_LEN;
const TS_EXEMPLARS = (4 << 3) | WIRE_LEN;
const TS_METADATA = (5 << 3) | WIRE_LEN;
const SAMPLE_VALUE = (1 << 3) | WIRE_FIXED64;
const SAMPLE_TIMESTAMP = (2 << 3) | WIRE_VARINT;
const SAMPLE_START_TIMESTAMP = (3 << 3) | WIRE_VARINT;
const EXEMPLAR_LABELS_PACKED = (1 << 3) | WIRE_LEN;
const EXEMPLAR_LABELS_ONE = (1 << 3) | WIRE_VARINT;
const EXEMPLAR_VALUE = (2 << 3) | WIRE_FIXED64;
const EXEMPLAR_TIMESTAMP = (3 << 3) | WIRE_VARINT;
const MD_TYPE = (1 << 3) | WIRE_VARINT;
const MD_HELP_REF = (3 << 3) | WIRE_VARINT;
const MD_UNIT_REF = (4 << 3) | WIRE_VARINT;

/** Bit masks (bit n = field n) of the fields each message declares. */
export const KNOWN_REQUEST_V2 = (1 << 4) | (1 << 5);
/** See {@link KNOWN_REQUEST_V2}. */
export const KNOWN_TIME_SERIES_V2 = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5);
/** See {@link KNOWN_REQUEST_V2}. */
export const KNOWN_SAMPLE_V2 = (1 << 1) | (1 << 2) | (1 << 3);
/** See {@link KNOWN_REQUEST_V2}. */
export const KNOWN_EXEMPLAR_V2 = (1 << 1) | (1 << 2) | (1 << 3);
/** See {@link KNOWN_REQUEST_V2}. */
export const KNOWN_METADATA_V2 = (1 << 1) | (1 << 3) | (1 << 4);

/**
 * Decodes an `io.prometheus.write.v2.Request` from uncompressed protobuf bytes. Unknown and
 * reserved fields are skipped (so a 1.0 body decodes as an empty request). Throws {@link WireError}
 * `malformed` for truncated data, a known field with the wrong wire type, invalid UTF-8 in a symbol,
 * or a non-empty symbols table whose first entry is not "". Every other violation of the spec is a
 * per-series {@link SeriesProblem}: a `labels_refs` of odd length, a reference past the symbols
 * table, samples together with histograms, a histogram mixing integer and float fields, an exemplar
 * without a timestamp, an empty or repeated label name, a missing `__name__`. Repeated
 * `labels_refs` fields concatenate; repeated `metadata` fields merge, as protobuf requires.
 * The result holds no reference to `buf`.
 */
export function decodeRequestV2(buf: Uint8Array): DecodedRequestV2 {
  const r = new ProtobufReader(buf);
  let symbols: string[];
  try {
    symbols = readSymbols(r);
  } catch (err: unknown) {
    throw wrap(err);
  }
  checkSymbols(symbols.length, symbols[0] === "", () => symbols[0] ?? "");
  const timeseries: DecodedTimeSeriesV2[] = [];
  r.pos = 0;
  try {
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag === RQ_TIMESERIES) {
        const outer = r.pushLimit();
        timeseries.push(readSeries(r, symbols));
        r.popLimit(outer);
      } else {
        r.skip(tag & 7); // checked by readSymbols
      }
    }
  } catch (err: unknown) {
    throw wrap(err);
  }
  return { timeseries };
}

/**
 * Throws {@link WireError} `malformed` unless a symbols table of `count` entries is empty or starts
 * with "" (`firstIsEmpty`); `first` gives the offending entry for the message.
 */
export function checkSymbols(count: number, firstIsEmpty: boolean, first: () => string): void {
  if (count > 0 && !firstIsEmpty) {
    throw new WireError(
      "malformed",
      `remote-write 2.0: invalid Request: symbols[0] must be the empty string, not ${JSON.stringify(first())}`,
    );
  }
}

/**
 * Encodes `req` as an `io.prometheus.write.v2.Request` (uncompressed). Strings are interned in order
 * of first use after `symbols[0] = ""`; the symbols are written first. Fields holding their default
 * (0, "", an all-default metadata) are left out, except a -0 sample value, which is kept. Nothing
 * is validated: a series breaking the spec is written as it is. Timestamps and integer histogram
 * fields must be safe integers (RangeError otherwise).
 */
export function encodeRequestV2(req: RequestV2): Uint8Array {
  const refs = new Map<string, number>([["", 0]]);
  const symbols = [""];
  const intern = (s: string): void => {
    if (!refs.has(s)) {
      refs.set(s, symbols.length);
      symbols.push(s);
    }
  };
  let size = 64;
  for (const ts of req.timeseries) {
    for (const l of ts.labels) {
      intern(l.name);
      intern(l.value);
    }
    for (const e of ts.exemplars) {
      for (const l of e.labels) {
        intern(l.name);
        intern(l.value);
      }
    }
    intern(ts.metadata.help);
    intern(ts.metadata.unit);
    size += 16 + ts.labels.length * 4 + ts.samples.length * 20 + ts.histograms.length * 64;
  }
  for (const s of symbols) size += 2 + s.length;
  const ref = (s: string): number => refs.get(s) ?? 0;
  const w = new ProtobufWriter(size);
  for (const s of symbols) w.tag(4, WIRE_LEN).string(s);
  for (const ts of req.timeseries) {
    const mts = w.tag(5, WIRE_LEN).fork();
    writeRefs(w, ts.labels, ref);
    for (const s of ts.samples) {
      const m = w.tag(2, WIRE_LEN).fork();
      if (s.value !== 0 || Object.is(s.value, -0)) w.tag(1, WIRE_FIXED64).double(s.value);
      if (s.timestamp !== 0) w.tag(2, WIRE_VARINT).int64(s.timestamp);
      if (s.startTimestamp !== 0) w.tag(3, WIRE_VARINT).int64(s.startTimestamp);
      w.join(m);
    }
    for (const h of ts.histograms) writeHistogram(w, 3, h, true);
    for (const e of ts.exemplars) {
      const m = w.tag(4, WIRE_LEN).fork();
      writeRefs(w, e.labels, ref);
      if (e.value !== 0 || Object.is(e.value, -0)) w.tag(2, WIRE_FIXED64).double(e.value);
      if (e.timestamp !== 0) w.tag(3, WIRE_VARINT).int64(e.timestamp);
      w.join(m);
    }
    const md = ts.metadata;
    if (md.type !== 0 || md.help !== "" || md.unit !== "") {
      const m = w.tag(5, WIRE_LEN).fork();
      if (md.type !== 0) w.tag(1, WIRE_VARINT).int64(md.type);
      if (md.help !== "") w.tag(3, WIRE_VARINT).uint32(ref(md.help));
      if (md.unit !== "") w.tag(4, WIRE_VARINT).uint32(ref(md.unit));
      w.join(m);
    }
    w.join(mts);
  }
  return w.finish();
}

function writeRefs(w: ProtobufWriter, labels: readonly LabelV2[], ref: (s: string) => number): void {
  if (labels.length === 0) return;
  const m = w.tag(1, WIRE_LEN).fork();
  for (const l of labels) w.uint32(ref(l.name)).uint32(ref(l.value));
  w.join(m);
}

function wrap(err: unknown): unknown {
  if (err instanceof ProtobufError) {
    return new WireError("malformed", `remote-write 2.0: invalid Request: ${err.message}`, { cause: err });
  }
  return err;
}

/** First pass over the Request: the symbols table; also checks the framing of every top-level field. */
function readSymbols(r: ProtobufReader): string[] {
  const symbols: string[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === RQ_SYMBOLS) symbols.push(r.string());
    else if (tag === RQ_TIMESERIES) stepOver(r);
    else skipField(r, tag, "Request", KNOWN_REQUEST_V2);
  }
  return symbols;
}

/** Labels resolved from refs, with the first problem met. */
interface Resolved {
  labels: LabelV2[];
  problem: SeriesProblem | undefined;
}

function readSeries(r: ProtobufReader, symbols: readonly string[]): DecodedTimeSeriesV2 {
  const refs: number[] = [];
  const samples: SampleV2[] = [];
  const histograms: Histogram[] = [];
  const exemplars: ExemplarV2[] = [];
  let type = 0;
  let helpRef = 0;
  let unitRef = 0;
  let histogramsSeen = 0;
  let problem: SeriesProblem | undefined;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case TS_SAMPLES: {
        const outer = r.pushLimit();
        let value = 0;
        let timestamp = 0;
        let startTimestamp = 0;
        while (r.pos < r.end) {
          const t = r.tag();
          if (t === SAMPLE_VALUE) value = r.double();
          else if (t === SAMPLE_TIMESTAMP) timestamp = r.int64();
          else if (t === SAMPLE_START_TIMESTAMP) startTimestamp = r.int64();
          else skipField(r, t, "Sample", KNOWN_SAMPLE_V2);
        }
        r.popLimit(outer);
        samples.push({ value, timestamp, startTimestamp });
        break;
      }
      case TS_LABELS_PACKED:
        readPackedRefs(r, refs);
        break;
      case TS_LABELS_ONE:
        refs.push(r.uint32());
        break;
      case TS_HISTOGRAMS: {
        const outer = r.pushLimit();
        const h = readHistogram(r, true);
        r.popLimit(outer);
        histogramsSeen++;
        if (h instanceof SeriesProblem) problem = SeriesProblem.first(problem, h);
        else histograms.push(h);
        break;
      }
      case TS_EXEMPLARS: {
        const outer = r.pushLimit();
        const exRefs: number[] = [];
        let value = 0;
        let timestamp = 0;
        while (r.pos < r.end) {
          const t = r.tag();
          if (t === EXEMPLAR_LABELS_PACKED) readPackedRefs(r, exRefs);
          else if (t === EXEMPLAR_LABELS_ONE) exRefs.push(r.uint32());
          else if (t === EXEMPLAR_VALUE) value = r.double();
          else if (t === EXEMPLAR_TIMESTAMP) timestamp = r.int64();
          else skipField(r, t, "Exemplar", KNOWN_EXEMPLAR_V2);
        }
        r.popLimit(outer);
        const resolved = resolve(exRefs, symbols, `exemplar ${exemplars.length}`);
        problem = SeriesProblem.first(problem, resolved.problem);
        if (timestamp === 0) {
          problem = SeriesProblem.first(
            problem,
            new SeriesProblem("exemplar_without_timestamp", `exemplar ${exemplars.length} has no timestamp`),
          );
        }
        exemplars.push({ labels: resolved.labels, value, timestamp });
        break;
      }
      case TS_METADATA: {
        const outer = r.pushLimit();
        while (r.pos < r.end) {
          const t = r.tag();
          if (t === MD_TYPE) type = r.int32();
          else if (t === MD_HELP_REF) helpRef = r.uint32();
          else if (t === MD_UNIT_REF) unitRef = r.uint32();
          else skipField(r, t, "Metadata", KNOWN_METADATA_V2);
        }
        r.popLimit(outer);
        break;
      }
      default:
        skipField(r, tag, "TimeSeries", KNOWN_TIME_SERIES_V2);
    }
  }
  // Ref 0 is "" even in an empty table: it is also the default of an unset field.
  const help = helpRef === 0 ? "" : symbols[helpRef];
  const unit = unitRef === 0 ? "" : symbols[unitRef];
  if (help === undefined || unit === undefined) {
    const [which, at] = help === undefined ? ["help_ref", helpRef] : ["unit_ref", unitRef];
    problem = SeriesProblem.first(
      problem,
      new SeriesProblem(
        "symbol_ref_out_of_range",
        `metadata ${which} = ${at} is past the end of the symbols table (${symbols.length} symbols)`,
      ),
    );
  }
  const metadata: MetadataV2 = { type, help: help ?? "", unit: unit ?? "" };
  const resolved = resolve(refs, symbols, "series");
  problem = SeriesProblem.first(resolved.problem, problem);
  if (samples.length > 0 && histogramsSeen > 0) {
    problem = SeriesProblem.first(
      problem,
      new SeriesProblem(
        "samples_and_histograms",
        `series has ${samples.length} samples and ${histogramsSeen} histograms; 2.0 allows one kind per series`,
      ),
    );
  }
  if (problem === undefined) problem = labelProblem(resolved.labels);
  return { labels: resolved.labels, samples, histograms, exemplars, metadata, problem };
}

function readPackedRefs(r: ProtobufReader, out: number[]): void {
  const outer = r.pushLimit();
  while (r.pos < r.end) out.push(r.uint32());
  r.popLimit(outer);
}

/** The labels of `refs` (name, value pairs); `what` names the owner in problem messages. */
function resolve(refs: readonly number[], symbols: readonly string[], what: string): Resolved {
  const labels: LabelV2[] = [];
  let problem: SeriesProblem | undefined;
  if (refs.length % 2 !== 0) {
    problem = new SeriesProblem(
      "odd_labels_refs",
      `${what} has ${refs.length} labels_refs; they must come in (name, value) pairs`,
    );
  }
  for (let i = 0; i + 1 < refs.length; i += 2) {
    const name = symbols[refs[i]!];
    const value = symbols[refs[i + 1]!];
    if (name === undefined || value === undefined) {
      const at = name === undefined ? i : i + 1;
      problem = SeriesProblem.first(
        problem,
        new SeriesProblem(
          "symbol_ref_out_of_range",
          `${what} labels_refs[${at}] = ${refs[at]} is past the end of the symbols table (${symbols.length} symbols)`,
        ),
      );
      continue;
    }
    labels.push({ name, value });
  }
  return { labels, problem };
}

/** An empty or repeated label name, or a missing `__name__`, in that order. */
function labelProblem(labels: readonly LabelV2[]): SeriesProblem | undefined {
  const seen = new Set<string>();
  let repeated: string | undefined;
  let hasName = false;
  for (const l of labels) {
    if (l.name === "") return new SeriesProblem("empty_label_name", "a label has an empty name");
    if (seen.has(l.name)) repeated ??= l.name;
    seen.add(l.name);
    if (l.name === METRIC_NAME && l.value !== "") hasName = true;
  }
  if (repeated !== undefined) {
    return new SeriesProblem("repeated_label_name", `label name ${JSON.stringify(repeated)} is repeated`);
  }
  if (!hasName) return new SeriesProblem("missing_metric_name", `series has no metric name (${METRIC_NAME})`);
  return undefined;
}
