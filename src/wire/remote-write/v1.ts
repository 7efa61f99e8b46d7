/**
 * Prometheus remote-write 1.0: the `prometheus.WriteRequest` protobuf message, with the field numbers
 * of Prometheus's `prompb/types.proto` and `remote.proto`. This is the codec only: the bytes
 * here are already snappy-decompressed, and nothing is validated beyond the wire format (label order,
 * empty names, sample order are the receiver's business).
 */
import {
  ProtobufError,
  ProtobufReader,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from "../../lib/protobuf/reader.js";
import { ProtobufWriter } from "../../lib/protobuf/writer.js";
import { WireError } from "../errors.js";

/** One label of a series or exemplar, as sent: nothing guarantees order, uniqueness or non-empty strings. */
export interface LabelV1 {
  name: string;
  value: string;
}

/** One sample: a float64 value (NaN payloads, such as the stale marker, kept) at a Unix ms timestamp. */
export interface SampleV1 {
  value: number;
  timestamp: number;
}

/** One exemplar: its own labels (e.g. `trace_id`), a value and a Unix ms timestamp. */
export interface ExemplarV1 {
  labels: LabelV1[];
  value: number;
  timestamp: number;
}

/**
 * One series with its complete label set. Native histograms (field 4) are not decoded: they are
 * counted in `histogramCount` so that the receiver can refuse or report them. The encoder writes
 * no histograms and ignores `histogramCount`.
 */
export interface TimeSeriesV1 {
  labels: LabelV1[];
  samples: SampleV1[];
  exemplars: ExemplarV1[];
  histogramCount: number;
}

/** The `MetricMetadata.MetricType` enum of `prompb`. Unknown numbers decode as they are. */
export const MetricTypeV1 = {
  UNKNOWN: 0,
  COUNTER: 1,
  GAUGE: 2,
  HISTOGRAM: 3,
  GAUGEHISTOGRAM: 4,
  SUMMARY: 5,
  INFO: 6,
  STATESET: 7,
} as const;

/** Metadata of one metric family; `type` is a {@link MetricTypeV1} number (any int32 on the wire). */
export interface MetricMetadataV1 {
  type: number;
  metricFamilyName: string;
  help: string;
  unit: string;
}

/** A whole remote-write 1.0 request body (after snappy). */
export interface WriteRequestV1 {
  timeseries: TimeSeriesV1[];
  metadata: MetricMetadataV1[];
}

// Tags (field number << 3 | wire type) of every field we read.
const WR_TIMESERIES = (1 << 3) | WIRE_LEN;
const WR_METADATA = (3 << 3) | WIRE_LEN;
const TS_LABELS = (1 << 3) | WIRE_LEN;
const TS_SAMPLES = (2 << 3) | WIRE_LEN;
const TS_EXEMPLARS = (3 << 3) | WIRE_LEN;
const TS_HISTOGRAMS = (4 << 3) | WIRE_LEN;
const LABEL_NAME = (1 << 3) | WIRE_LEN;
const LABEL_VALUE = (2 << 3) | WIRE_LEN;
const SAMPLE_VALUE = (1 << 3) | WIRE_FIXED64;
const SAMPLE_TIMESTAMP = (2 << 3) | WIRE_VARINT;
const EXEMPLAR_LABELS = (1 << 3) | WIRE_LEN;
const EXEMPLAR_VALUE = (2 << 3) | WIRE_FIXED64;
const EXEMPLAR_TIMESTAMP = (3 << 3) | WIRE_VARINT;
const MD_TYPE = (1 << 3) | WIRE_VARINT;
const MD_FAMILY = (2 << 3) | WIRE_LEN;
const MD_HELP = (4 << 3) | WIRE_LEN;
const MD_UNIT = (5 << 3) | WIRE_LEN;

// Bit masks (bit n = field n) of each message's declared fields, to tell a wrong wire type from an unknown field.
const KNOWN_WRITE_REQUEST = (1 << 1) | (1 << 3);
const KNOWN_TIME_SERIES = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4);
const KNOWN_LABEL = (1 << 1) | (1 << 2);
const KNOWN_SAMPLE = (1 << 1) | (1 << 2);
const KNOWN_EXEMPLAR = (1 << 1) | (1 << 2) | (1 << 3);
const KNOWN_METADATA = (1 << 1) | (1 << 2) | (1 << 4) | (1 << 5);

/**
 * Decodes a `prometheus.WriteRequest` from uncompressed protobuf bytes. Unknown fields are skipped; a
 * known field with the wrong wire type, truncated data or invalid UTF-8 throws {@link WireError}
 * `malformed`. The result holds no reference to `buf`.
 */
export function decodeWriteRequestV1(buf: Uint8Array): WriteRequestV1 {
  const r = new ProtobufReader(buf);
  try {
    return readWriteRequest(r);
  } catch (err: unknown) {
    if (err instanceof ProtobufError) {
      throw new WireError("malformed", `remote-write 1.0: invalid WriteRequest: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Encodes `req` as a `prometheus.WriteRequest` (uncompressed). Fields holding their proto3 default
 * (0, empty string) are left out, except a -0 sample value, which is kept. Timestamps must be safe
 * integers (RangeError otherwise).
 */
export function encodeWriteRequestV1(req: WriteRequestV1): Uint8Array {
  const w = new ProtobufWriter(estimateSize(req));
  for (const ts of req.timeseries) {
    const mts = w.tag(1, WIRE_LEN).fork();
    for (const l of ts.labels) writeLabel(w, 1, l);
    for (const s of ts.samples) {
      const m = w.tag(2, WIRE_LEN).fork();
      if (s.value !== 0 || Object.is(s.value, -0)) w.tag(1, WIRE_FIXED64).double(s.value);
      if (s.timestamp !== 0) w.tag(2, WIRE_VARINT).int64(s.timestamp);
      w.join(m);
    }
    for (const e of ts.exemplars) {
      const m = w.tag(3, WIRE_LEN).fork();
      for (const l of e.labels) writeLabel(w, 1, l);
      if (e.value !== 0 || Object.is(e.value, -0)) w.tag(2, WIRE_FIXED64).double(e.value);
      if (e.timestamp !== 0) w.tag(3, WIRE_VARINT).int64(e.timestamp);
      w.join(m);
    }
    w.join(mts);
  }
  for (const md of req.metadata) {
    const m = w.tag(3, WIRE_LEN).fork();
    if (md.type !== 0) w.tag(1, WIRE_VARINT).int64(md.type);
    if (md.metricFamilyName !== "") w.tag(2, WIRE_LEN).string(md.metricFamilyName);
    if (md.help !== "") w.tag(4, WIRE_LEN).string(md.help);
    if (md.unit !== "") w.tag(5, WIRE_LEN).string(md.unit);
    w.join(m);
  }
  return w.finish();
}

function writeLabel(w: ProtobufWriter, field: number, l: LabelV1): void {
  const m = w.tag(field, WIRE_LEN).fork();
  if (l.name !== "") w.tag(1, WIRE_LEN).string(l.name);
  if (l.value !== "") w.tag(2, WIRE_LEN).string(l.value);
  w.join(m);
}

/** A rough first buffer size, so that typical requests are written without regrowing. */
function estimateSize(req: WriteRequestV1): number {
  let n = 64;
  for (const ts of req.timeseries) n += 16 + ts.labels.length * 32 + ts.samples.length * 20;
  return n;
}

function readWriteRequest(r: ProtobufReader): WriteRequestV1 {
  const timeseries: TimeSeriesV1[] = [];
  const metadata: MetricMetadataV1[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === WR_TIMESERIES) {
      const outer = r.pushLimit();
      timeseries.push(readTimeSeries(r));
      r.popLimit(outer);
    } else if (tag === WR_METADATA) {
      const outer = r.pushLimit();
      metadata.push(readMetadata(r));
      r.popLimit(outer);
    } else {
      skipUnknown(r, tag, "WriteRequest", KNOWN_WRITE_REQUEST);
    }
  }
  return { timeseries, metadata };
}

function readTimeSeries(r: ProtobufReader): TimeSeriesV1 {
  const labels: LabelV1[] = [];
  const samples: SampleV1[] = [];
  const exemplars: ExemplarV1[] = [];
  let histogramCount = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case TS_SAMPLES: {
        const outer = r.pushLimit();
        let value = 0;
        let timestamp = 0;
        while (r.pos < r.end) {
          const t = r.tag();
          if (t === SAMPLE_VALUE) value = r.double();
          else if (t === SAMPLE_TIMESTAMP) timestamp = r.int64();
          else skipUnknown(r, t, "Sample", KNOWN_SAMPLE);
        }
        r.popLimit(outer);
        samples.push({ value, timestamp });
        break;
      }
      case TS_LABELS: {
        const outer = r.pushLimit();
        labels.push(readLabel(r));
        r.popLimit(outer);
        break;
      }
      case TS_EXEMPLARS: {
        const outer = r.pushLimit();
        exemplars.push(readExemplar(r));
        r.popLimit(outer);
        break;
      }
      case TS_HISTOGRAMS:
        r.skip(WIRE_LEN);
        histogramCount++;
        break;
      default:
        skipUnknown(r, tag, "TimeSeries", KNOWN_TIME_SERIES);
    }
  }
  return { labels, samples, exemplars, histogramCount };
}

function readLabel(r: ProtobufReader): LabelV1 {
  let name = "";
  let value = "";
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === LABEL_NAME) name = r.string();
    else if (tag === LABEL_VALUE) value = r.string();
    else skipUnknown(r, tag, "Label", KNOWN_LABEL);
  }
  return { name, value };
}

function readExemplar(r: ProtobufReader): ExemplarV1 {
  const labels: LabelV1[] = [];
  let value = 0;
  let timestamp = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === EXEMPLAR_LABELS) {
      const outer = r.pushLimit();
      labels.push(readLabel(r));
      r.popLimit(outer);
    } else if (tag === EXEMPLAR_VALUE) value = r.double();
    else if (tag === EXEMPLAR_TIMESTAMP) timestamp = r.int64();
    else skipUnknown(r, tag, "Exemplar", KNOWN_EXEMPLAR);
  }
  return { labels, value, timestamp };
}

function readMetadata(r: ProtobufReader): MetricMetadataV1 {
  let type = 0;
  let metricFamilyName = "";
  let help = "";
  let unit = "";
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case MD_TYPE:
        type = r.int32();
        break;
      case MD_FAMILY:
        metricFamilyName = r.string();
        break;
      case MD_HELP:
        help = r.string();
        break;
      case MD_UNIT:
        unit = r.string();
        break;
      default:
        skipUnknown(r, tag, "MetricMetadata", KNOWN_METADATA);
    }
  }
  return { type, metricFamilyName, help, unit };
}

/**
 * Skips a field we do not read. A field whose number is set in the bit mask `known` has the wrong
 * wire type if it reaches here, which is an error rather than an unknown field.
 */
function skipUnknown(r: ProtobufReader, tag: number, message: string, known: number): void {
  const field = tag >>> 3;
  const wireType = tag & 7;
  if (field < 31 && (known & (1 << field)) !== 0) {
    throw new ProtobufError(`${message} field ${field} has wrong wire type ${wireType}`, r.pos);
  }
  r.skip(wireType);
}
