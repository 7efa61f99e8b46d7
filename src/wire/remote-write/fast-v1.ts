/**
 * The hot-path decoder of remote-write 1.0 (`prometheus.WriteRequest`): it reads the protobuf in
 * place and calls a {@link WriteSink}, building nothing per label or sample. Label strings are built
 * only if the sink asks for them; a store that already holds the series finds it by
 * `RawLabels.hash` and confirms it with `RawLabels.equals`. `decode.bench.ts` measures it.
 *
 * Each TimeSeries message is read twice: first for its labels (which protobuf allows anywhere in
 * the message, so samples cannot be delivered before the whole message was seen), skipping other
 * fields by their length, then for its samples, exemplars and histograms.
 *
 * On the same bytes, a sink with every optional method sees exactly what `decodeWriteRequestV1`
 * returns (plus the histograms it only counts), and every body `decodeWriteRequestV1` refuses is
 * refused here too. Histograms are decoded here, so a corrupt one refuses a body that
 * `decodeWriteRequestV1` accepts; without `histogram` in the sink both refuse the same bodies.
 */
import {
  ProtobufError,
  ProtobufReader,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from "../../lib/protobuf/reader.js";
import { WireError } from "../errors.js";
import { scanSample, skipField, stepOver } from "./framing.js";
import { type Histogram, readHistogram } from "./histogram.js";
import { RawLabelsBuffer } from "./raw-labels.js";
import { SeriesProblem } from "./series-problem.js";
import { isValidUtf8 } from "./utf8-bytes.js";
import type { WriteSink } from "./write-sink.js";

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

const KNOWN_WRITE_REQUEST = (1 << 1) | (1 << 3);
const KNOWN_TIME_SERIES = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4);
const KNOWN_LABEL = (1 << 1) | (1 << 2);
const KNOWN_SAMPLE = (1 << 1) | (1 << 2);
const KNOWN_EXEMPLAR = (1 << 1) | (1 << 2) | (1 << 3);
const KNOWN_METADATA = (1 << 1) | (1 << 2) | (1 << 4) | (1 << 5);

/**
 * A reusable 1.0 decoder. It keeps its label views and scratch arrays between requests, so one
 * decoder per receiver (or per worker) allocates nothing per label or per batched sample once warm.
 * Not reentrant: a sink must not call {@link FastDecoderV1.decode} of the decoder that is calling it.
 */
export class FastDecoderV1 {
  readonly #labels = new RawLabelsBuffer(true);
  readonly #exemplarLabels = new RawLabelsBuffer(false);
  // The current series' histograms, decoded while its labels are read (undefined: refused).
  readonly #histograms: (Histogram | undefined)[] = [];
  // Samples waiting for `sink.samples`; start timestamps stay 0 in 1.0.
  readonly #timestamps = new Float64Array(SAMPLE_BATCH);
  readonly #values = new Float64Array(SAMPLE_BATCH);
  readonly #startTimestamps = new Float64Array(SAMPLE_BATCH);
  readonly #scratch = new Float64Array(3);

  /**
   * Walks the uncompressed `WriteRequest` in `buf` and calls `sink` for what it holds (see
   * {@link WriteSink} for the order and lifetimes). `buf` is borrowed: it must not change during
   * the call, and views handed to the sink point into it. Unknown fields are skipped; bad framing,
   * a known field with the wrong wire type or invalid UTF-8 throws {@link WireError} `malformed`,
   * possibly after calls for earlier series. Errors thrown by the sink pass through unchanged.
   */
  decode(buf: Uint8Array, sink: WriteSink): void {
    const r = new ProtobufReader(buf);
    try {
      this.#request(r, buf, sink);
    } catch (err: unknown) {
      if (err instanceof ProtobufError) {
        throw new WireError("malformed", `remote-write 1.0: invalid WriteRequest: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    } finally {
      // Drop the references to the request and its histograms.
      this.#labels.reset(EMPTY);
      this.#exemplarLabels.reset(EMPTY);
      this.#histograms.length = 0;
    }
  }

  #request(r: ProtobufReader, buf: Uint8Array, sink: WriteSink): void {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag === WR_TIMESERIES) {
        const outer = r.pushLimit();
        this.#seriesLabels(r, buf, sink);
        const handle = sink.series(this.#labels);
        this.#seriesData(r, buf, view, sink, handle);
        r.popLimit(outer);
      } else if (tag === WR_METADATA) {
        if (sink.metadata === undefined) {
          stepOver(r);
          continue;
        }
        const outer = r.pushLimit();
        let type = 0;
        let family = "";
        let help = "";
        let unit = "";
        while (r.pos < r.end) {
          const t = r.tag();
          if (t === MD_TYPE) type = r.int32();
          else if (t === MD_FAMILY) family = r.string();
          else if (t === MD_HELP) help = r.string();
          else if (t === MD_UNIT) unit = r.string();
          else skipField(r, t, "MetricMetadata", KNOWN_METADATA);
        }
        r.popLimit(outer);
        sink.metadata(-1, type, family, help, unit);
      } else {
        skipField(r, tag, "WriteRequest", KNOWN_WRITE_REQUEST);
      }
    }
  }

  /**
   * First pass over a TimeSeries message (`r` narrowed to it): fills and seals `#labels`, decodes
   * the histograms if the sink takes them (their problems refuse the series), skips the rest by
   * length, and leaves `r.pos` where it started.
   */
  #seriesLabels(r: ProtobufReader, buf: Uint8Array, sink: WriteSink): void {
    const start = r.pos;
    const labels = this.#labels;
    const histograms = this.#histograms;
    const wantHistograms = sink.histogram !== undefined;
    labels.reset(buf);
    histograms.length = 0;
    let problem: SeriesProblem | undefined;
    // The label fields' span, while they come one after another; −2 once something came between.
    let wireStart = -1;
    let wireEnd = -1;
    while (r.pos < r.end) {
      const at = r.pos;
      const tag = r.tag();
      if (tag === TS_SAMPLES || tag === TS_EXEMPLARS) {
        stepOver(r);
      } else if (tag === TS_LABELS) {
        if (wireStart === -1) wireStart = at;
        else if (at !== wireEnd) wireStart = -2;
        readLabel(r, buf, labels);
        wireEnd = r.pos;
      } else if (tag === TS_HISTOGRAMS) {
        if (!wantHistograms) {
          stepOver(r);
          continue;
        }
        const outer = r.pushLimit();
        const h = readHistogram(r, false);
        r.popLimit(outer);
        if (h instanceof SeriesProblem) {
          problem = SeriesProblem.first(problem, h);
          histograms.push(undefined);
        } else {
          histograms.push(h);
        }
      } else {
        skipField(r, tag, "TimeSeries", KNOWN_TIME_SERIES);
      }
    }
    if (wireStart >= 0) labels.setWire(wireStart, wireEnd);
    labels.seal(problem);
    r.pos = start;
  }

  /** Second pass over a TimeSeries message: its data, in wire order. Unknown fields were checked by the first. */
  #seriesData(r: ProtobufReader, buf: Uint8Array, view: DataView, sink: WriteSink, handle: number): void {
    const batch = sink.samples !== undefined && handle >= 0;
    const timestamps = this.#timestamps;
    const values = this.#values;
    const scratch = this.#scratch;
    let pending = 0;
    let nextHistogram = 0;
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag === TS_SAMPLES) {
        const start = stepOver(r);
        const end = r.pos;
        let value: number;
        let timestamp: number;
        if (scanSample(buf, view, start, end, scratch)) {
          value = scratch[0]!;
          timestamp = scratch[1]!;
        } else {
          // Any other shape (field order, negative or long timestamps, unknown fields).
          const outer = r.end;
          r.pos = start;
          r.end = end;
          value = 0;
          timestamp = 0;
          while (r.pos < end) {
            const t = r.tag();
            if (t === SAMPLE_VALUE) value = r.double();
            else if (t === SAMPLE_TIMESTAMP) timestamp = r.int64();
            else skipField(r, t, "Sample", KNOWN_SAMPLE);
          }
          r.end = outer;
        }
        if (batch) {
          timestamps[pending] = timestamp;
          values[pending] = value;
          if (++pending === SAMPLE_BATCH) pending = this.#flush(sink, handle, pending);
        } else if (handle >= 0) {
          sink.sample(handle, timestamp, value, 0);
        }
        continue;
      }
      if (pending > 0) pending = this.#flush(sink, handle, pending);
      if (tag === TS_EXEMPLARS) {
        if (sink.exemplar === undefined) {
          stepOver(r);
          continue;
        }
        const outer = r.pushLimit();
        const ex = this.#exemplarLabels;
        ex.reset(buf);
        let value = 0;
        let timestamp = 0;
        while (r.pos < r.end) {
          const t = r.tag();
          if (t === EXEMPLAR_LABELS) readLabel(r, buf, ex);
          else if (t === EXEMPLAR_VALUE) value = r.double();
          else if (t === EXEMPLAR_TIMESTAMP) timestamp = r.int64();
          else skipField(r, t, "Exemplar", KNOWN_EXEMPLAR);
        }
        r.popLimit(outer);
        ex.seal(undefined);
        if (handle >= 0) sink.exemplar(handle, ex, value, timestamp);
      } else if (tag === TS_HISTOGRAMS) {
        stepOver(r);
        const h = this.#histograms[nextHistogram++];
        if (h !== undefined && handle >= 0 && sink.histogram !== undefined) sink.histogram(handle, h);
      } else {
        r.skip(tag & 7);
      }
    }
    if (pending > 0) this.#flush(sink, handle, pending);
  }

  /** Hands the `count` batched samples to `sink.samples`; returns 0, the new count. */
  #flush(sink: WriteSink, handle: number, count: number): number {
    sink.samples?.(handle, count, this.#timestamps, this.#values, this.#startTimestamps);
    return 0;
  }
}

/**
 * Decodes one request with a new {@link FastDecoderV1}; see {@link FastDecoderV1.decode}. A
 * receiver should keep one decoder instead, so that its scratch arrays are reused.
 */
export function decodeWriteRequestV1Fast(buf: Uint8Array, sink: WriteSink): void {
  new FastDecoderV1().decode(buf, sink);
}

const EMPTY = new Uint8Array(0);
// Samples handed to `WriteSink.samples` at most at a time.
const SAMPLE_BATCH = 256;

/**
 * Reads one Label message into `into`. Every occurrence of a field is checked as UTF-8, as
 * `decodeWriteRequestV1` decodes each, though only the last counts.
 */
function readLabel(r: ProtobufReader, buf: Uint8Array, into: RawLabelsBuffer): void {
  const start = stepOver(r);
  const end = r.pos;
  // The usual encoding, name then value, each shorter than 128 bytes, read in place.
  let p = start;
  let ns = p;
  let ne = p;
  let vs = p;
  let ve = p;
  if (p + 1 < end && buf[p] === LABEL_NAME && buf[p + 1]! < 0x80) {
    ns = p + 2;
    ne = p = ns + buf[p + 1]!;
  }
  if (p + 1 < end && buf[p] === LABEL_VALUE && buf[p + 1]! < 0x80) {
    vs = p + 2;
    ve = p = vs + buf[p + 1]!;
  }
  if (p !== end) {
    // Anything else: let the reader check it field by field.
    const outer = r.end;
    r.pos = start;
    r.end = end;
    ns = ne = vs = ve = start;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === LABEL_NAME) {
        if (ne !== ns) checkUtf8(buf, ns, ne);
        ns = stepOver(r);
        ne = r.pos;
      } else if (tag === LABEL_VALUE) {
        if (ve !== vs) checkUtf8(buf, vs, ve);
        vs = stepOver(r);
        ve = r.pos;
      } else {
        skipField(r, tag, "Label", KNOWN_LABEL);
      }
    }
    r.end = outer;
  }
  if (!into.addBytes(ns, ne, vs, ve)) {
    throw new ProtobufError(`label of ${ne - ns} + ${ve - vs} bytes is not valid UTF-8`, start);
  }
}

function checkUtf8(buf: Uint8Array, start: number, end: number): void {
  if (!isValidUtf8(buf, start, end)) {
    throw new ProtobufError(`string field of ${end - start} bytes is not valid UTF-8`, start);
  }
}
