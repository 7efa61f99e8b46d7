/**
 * The hot-path decoder of remote-write 2.0 (`io.prometheus.write.v2.Request`), the counterpart of
 * `fast-v1.ts` with the same {@link WriteSink}. The symbols table is scanned once per request: each
 * symbol's bytes are checked as UTF-8 and hashed once, so a series' label hash costs a few
 * operations per label rather than a pass over its bytes.
 *
 * Each TimeSeries message is read twice: first for its label references, the checks that can refuse
 * it (references, samples with histograms, histograms' kinds, exemplars, metadata) and its
 * histograms, then for its data. Per-series problems are handed to the sink through
 * `labels.problem()`, with the codes and order {@link decodeRequestV2} reports.
 *
 * On the same bytes, a sink with every optional method sees what {@link decodeRequestV2} returns
 * (metadata only when the series carries a Metadata field), and the same bodies are refused.
 */
import {
  ProtobufError,
  ProtobufReader,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from "../../lib/protobuf/reader.js";
import { hashBytes } from "../../model/label-hash.js";
import { WireError } from "../errors.js";
import { scanSample, skipField, stepOver } from "./framing.js";
import { type Histogram, readHistogram } from "./histogram.js";
import { RawLabelsBuffer } from "./raw-labels.js";
import { SeriesProblem } from "./series-problem.js";
import { isValidUtf8 } from "./utf8-bytes.js";
import {
  checkSymbols,
  KNOWN_EXEMPLAR_V2,
  KNOWN_METADATA_V2,
  KNOWN_REQUEST_V2,
  KNOWN_SAMPLE_V2,
  KNOWN_TIME_SERIES_V2,
} from "./v2.js";
import type { WriteSink } from "./write-sink.js";

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

// Samples handed to `WriteSink.samples` at most at a time.
const SAMPLE_BATCH = 256;
const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A reusable 2.0 decoder. Its symbol table, label views and scratch arrays are kept between
 * requests and grow to the largest seen. Not reentrant: a sink must not call
 * {@link FastDecoderV2.decode} of the decoder that is calling it.
 */
export class FastDecoderV2 {
  readonly #labels = new RawLabelsBuffer(true);
  readonly #exemplarLabels = new RawLabelsBuffer(false);
  readonly #histograms: (Histogram | undefined)[] = [];
  // Symbol i is buf[#symbols[2i], #symbols[2i+1]); its hash lanes are #symbolHashes[2i], [2i+1].
  #symbols = new Int32Array(512);
  #symbolHashes = new Int32Array(512);
  #symbolAscii = new Uint8Array(256);
  #symbolCount = 0;
  // Symbols decoded for metadata, per request.
  #symbolStrings: (string | undefined)[] = [];
  #buf: Uint8Array = EMPTY;
  // The current series' (or exemplar's) label references.
  #refs = new Uint32Array(64);
  #refCount = 0;
  readonly #timestamps = new Float64Array(SAMPLE_BATCH);
  readonly #values = new Float64Array(SAMPLE_BATCH);
  readonly #startTimestamps = new Float64Array(SAMPLE_BATCH);
  readonly #scratch = new Float64Array(3);

  /**
   * Walks the uncompressed `Request` in `buf` and calls `sink` for what it holds (see
   * {@link WriteSink}; 2.0 metadata comes once per series, after its data, merged when repeated).
   * `buf` is borrowed: it must not change during the call, and views handed to the sink point into
   * it. Throws {@link WireError} `malformed`, as {@link decodeRequestV2} does, possibly after calls
   * for earlier series; errors thrown by the sink pass through unchanged.
   */
  decode(buf: Uint8Array, sink: WriteSink): void {
    const r = new ProtobufReader(buf);
    this.#buf = buf;
    try {
      this.#readSymbols(r);
      checkSymbols(this.#symbolCount, this.#symbols[1] === this.#symbols[0], () => this.#symbol(0));
      r.pos = 0;
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      while (r.pos < r.end) {
        const tag = r.tag();
        if (tag === RQ_TIMESERIES) {
          const outer = r.pushLimit();
          this.#series(r, view, sink);
          r.popLimit(outer);
        } else {
          r.skip(tag & 7); // checked by #readSymbols
        }
      }
    } catch (err: unknown) {
      if (err instanceof ProtobufError) {
        throw new WireError("malformed", `remote-write 2.0: invalid Request: ${err.message}`, { cause: err });
      }
      throw err;
    } finally {
      this.#buf = EMPTY;
      this.#symbolStrings = [];
      this.#labels.reset(EMPTY);
      this.#exemplarLabels.reset(EMPTY);
      this.#histograms.length = 0;
    }
  }

  /** First pass over the request: locates, checks and hashes every symbol; checks top-level framing. */
  #readSymbols(r: ProtobufReader): void {
    const buf = this.#buf;
    this.#symbolCount = 0;
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag === RQ_SYMBOLS) {
        const start = stepOver(r);
        const end = r.pos;
        const i = this.#symbolCount;
        if (2 * i + 2 > this.#symbols.length) this.#grow();
        const bits = hashBytes(buf, start, end, this.#symbolHashes, 2 * i);
        if ((bits & 0x80) !== 0 && !isValidUtf8(buf, start, end)) {
          throw new ProtobufError(`symbol ${i} (${end - start} bytes) is not valid UTF-8`, start);
        }
        this.#symbols[2 * i] = start;
        this.#symbols[2 * i + 1] = end;
        this.#symbolAscii[i] = (bits & 0x80) === 0 ? 1 : 0;
        this.#symbolCount = i + 1;
      } else if (tag === RQ_TIMESERIES) {
        stepOver(r);
      } else {
        skipField(r, tag, "Request", KNOWN_REQUEST_V2);
      }
    }
  }

  #grow(): void {
    const symbols = new Int32Array(this.#symbols.length * 2);
    symbols.set(this.#symbols);
    this.#symbols = symbols;
    const hashes = new Int32Array(this.#symbolHashes.length * 2);
    hashes.set(this.#symbolHashes);
    this.#symbolHashes = hashes;
    const ascii = new Uint8Array(this.#symbolAscii.length * 2);
    ascii.set(this.#symbolAscii);
    this.#symbolAscii = ascii;
  }

  /** Symbol `i` (in range) as a string, decoded once per request. */
  #symbol(i: number): string {
    let s = this.#symbolStrings[i];
    if (s === undefined) {
      const start = this.#symbols[2 * i]!;
      const end = this.#symbols[2 * i + 1]!;
      s = start === end ? "" : utf8.decode(this.#buf.subarray(start, end));
      this.#symbolStrings[i] = s;
    }
    return s;
  }

  /** One TimeSeries message, `r` narrowed to it. */
  #series(r: ProtobufReader, view: DataView, sink: WriteSink): void {
    const start = r.pos;
    const labels = this.#labels;
    const histograms = this.#histograms;
    labels.reset(this.#buf);
    histograms.length = 0;
    this.#refCount = 0;
    let samples = 0;
    let histogramsSeen = 0;
    let exemplars = 0;
    let hasMetadata = false;
    let type = 0;
    let helpRef = 0;
    let unitRef = 0;
    let problem: SeriesProblem | undefined;
    // First pass: references and everything that can refuse the series.
    while (r.pos < r.end) {
      const tag = r.tag();
      switch (tag) {
        case TS_SAMPLES:
          stepOver(r);
          samples++;
          break;
        case TS_LABELS_PACKED:
          this.#readPackedRefs(r);
          break;
        case TS_LABELS_ONE:
          this.#pushRef(r.uint32());
          break;
        case TS_HISTOGRAMS: {
          histogramsSeen++;
          if (sink.histogram === undefined) {
            stepOver(r);
            break;
          }
          const outer = r.pushLimit();
          const h = readHistogram(r, true);
          r.popLimit(outer);
          if (h instanceof SeriesProblem) {
            problem = SeriesProblem.first(problem, h);
            histograms.push(undefined);
          } else {
            histograms.push(h);
          }
          break;
        }
        case TS_EXEMPLARS:
          if (sink.exemplar === undefined) stepOver(r);
          else problem = SeriesProblem.first(problem, this.#checkExemplar(r, exemplars));
          exemplars++;
          break;
        case TS_METADATA: {
          if (sink.metadata === undefined) {
            stepOver(r);
            break;
          }
          hasMetadata = true;
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
    const n = this.#symbolCount;
    if (hasMetadata && ((helpRef !== 0 && helpRef >= n) || (unitRef !== 0 && unitRef >= n))) {
      const [which, at] = helpRef !== 0 && helpRef >= n ? ["help_ref", helpRef] : ["unit_ref", unitRef];
      problem = SeriesProblem.first(
        problem,
        new SeriesProblem(
          "symbol_ref_out_of_range",
          `metadata ${which} = ${at} is past the end of the symbols table (${n} symbols)`,
        ),
      );
    }
    problem = SeriesProblem.first(this.#fill(labels, "series"), problem);
    if (samples > 0 && histogramsSeen > 0) {
      problem = SeriesProblem.first(
        problem,
        new SeriesProblem(
          "samples_and_histograms",
          `series has ${samples} samples and ${histogramsSeen} histograms; 2.0 allows one kind per series`,
        ),
      );
    }
    labels.seal(problem);
    const handle = sink.series(labels);
    r.pos = start;
    this.#seriesData(r, view, sink, handle);
    if (hasMetadata && handle >= 0 && sink.metadata !== undefined) {
      const help = helpRef < n ? this.#symbol(helpRef) : "";
      const unit = unitRef < n ? this.#symbol(unitRef) : "";
      sink.metadata(handle, type, "", help, unit);
    }
  }

  /** Second pass over a TimeSeries message: its samples, histograms and exemplars, in wire order. */
  #seriesData(r: ProtobufReader, view: DataView, sink: WriteSink, handle: number): void {
    const buf = this.#buf;
    const batch = sink.samples !== undefined && handle >= 0;
    const timestamps = this.#timestamps;
    const values = this.#values;
    const startTimestamps = this.#startTimestamps;
    const scratch = this.#scratch;
    let pending = 0;
    let nextHistogram = 0;
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag === TS_SAMPLES) {
        const start = stepOver(r);
        const end = r.pos;
        if (!scanSample(buf, view, start, end, scratch)) {
          // Any other shape (field order, negative or long timestamps, unknown fields).
          const outer = r.end;
          r.pos = start;
          r.end = end;
          scratch.fill(0);
          while (r.pos < end) {
            const t = r.tag();
            if (t === SAMPLE_VALUE) scratch[0] = r.double();
            else if (t === SAMPLE_TIMESTAMP) scratch[1] = r.int64();
            else if (t === SAMPLE_START_TIMESTAMP) scratch[2] = r.int64();
            else skipField(r, t, "Sample", KNOWN_SAMPLE_V2);
          }
          r.end = outer;
        }
        if (batch) {
          values[pending] = scratch[0]!;
          timestamps[pending] = scratch[1]!;
          startTimestamps[pending] = scratch[2]!;
          if (++pending === SAMPLE_BATCH) pending = this.#flush(sink, handle, pending);
        } else if (handle >= 0) {
          sink.sample(handle, scratch[1]!, scratch[0]!, scratch[2]!);
        }
        continue;
      }
      if (pending > 0) pending = this.#flush(sink, handle, pending);
      if (tag === TS_EXEMPLARS && sink.exemplar !== undefined) {
        const outer = r.pushLimit();
        this.#refCount = 0;
        let value = 0;
        let timestamp = 0;
        while (r.pos < r.end) {
          const t = r.tag();
          if (t === EXEMPLAR_LABELS_PACKED) this.#readPackedRefs(r);
          else if (t === EXEMPLAR_LABELS_ONE) this.#pushRef(r.uint32());
          else if (t === EXEMPLAR_VALUE) value = r.double();
          else if (t === EXEMPLAR_TIMESTAMP) timestamp = r.int64();
          else r.skip(t & 7); // checked by the first pass
        }
        r.popLimit(outer);
        const ex = this.#exemplarLabels;
        ex.reset(buf);
        this.#fill(ex, "exemplar");
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

  /**
   * First-pass check of one Exemplar message (its references and timestamp), `index` counting the
   * series' exemplars. Returns its problem, if any.
   */
  #checkExemplar(r: ProtobufReader, index: number): SeriesProblem | undefined {
    const outer = r.pushLimit();
    const saved = this.#refCount;
    let timestamp = 0;
    while (r.pos < r.end) {
      const t = r.tag();
      if (t === EXEMPLAR_LABELS_PACKED) this.#readPackedRefs(r);
      else if (t === EXEMPLAR_LABELS_ONE) this.#pushRef(r.uint32());
      else if (t === EXEMPLAR_VALUE) r.double();
      else if (t === EXEMPLAR_TIMESTAMP) timestamp = r.int64();
      else skipField(r, t, "Exemplar", KNOWN_EXEMPLAR_V2);
    }
    r.popLimit(outer);
    // The exemplar's refs were appended after the series' own; check them, then drop them.
    const problem = this.#checkRefs(saved, `exemplar ${index}`);
    this.#refCount = saved;
    if (timestamp === 0) {
      return SeriesProblem.first(
        problem,
        new SeriesProblem("exemplar_without_timestamp", `exemplar ${index} has no timestamp`),
      );
    }
    return problem;
  }

  /** The first problem of references `#refs[from, #refCount)`: odd count, or one out of range. */
  #checkRefs(from: number, what: string): SeriesProblem | undefined {
    const count = this.#refCount - from;
    let problem: SeriesProblem | undefined;
    if (count % 2 !== 0) {
      problem = new SeriesProblem(
        "odd_labels_refs",
        `${what} has ${count} labels_refs; they must come in (name, value) pairs`,
      );
    }
    const refs = this.#refs;
    const n = this.#symbolCount;
    for (let i = 0; i + 1 < count; i += 2) {
      const at = refs[from + i]! >= n ? i : refs[from + i + 1]! >= n ? i + 1 : -1;
      if (at >= 0) {
        return SeriesProblem.first(
          problem,
          new SeriesProblem(
            "symbol_ref_out_of_range",
            `${what} labels_refs[${at}] = ${refs[from + at]} is past the end of the symbols table (${n} symbols)`,
          ),
        );
      }
    }
    return problem;
  }

  /**
   * Adds the pairs of `#refs[0, #refCount)` whose references are in range to `into`; returns the
   * problem of the references, if any.
   */
  #fill(into: RawLabelsBuffer, what: string): SeriesProblem | undefined {
    const refs = this.#refs;
    const symbols = this.#symbols;
    const hashes = this.#symbolHashes;
    const n = this.#symbolCount;
    for (let i = 0; i + 1 < this.#refCount; i += 2) {
      const name = refs[i]!;
      const value = refs[i + 1]!;
      if (name >= n || value >= n) continue;
      into.addHashed(
        symbols[2 * name]!,
        symbols[2 * name + 1]!,
        symbols[2 * value]!,
        symbols[2 * value + 1]!,
        hashes[2 * name]!,
        hashes[2 * name + 1]!,
        hashes[2 * value]!,
        hashes[2 * value + 1]!,
        this.#symbolAscii[name] === 1,
      );
    }
    // Every pair was added, and none is left over: nothing to report.
    return into.count * 2 === this.#refCount ? undefined : this.#checkRefs(0, what);
  }

  #readPackedRefs(r: ProtobufReader): void {
    const outer = r.pushLimit();
    while (r.pos < r.end) this.#pushRef(r.uint32());
    r.popLimit(outer);
  }

  #pushRef(ref: number): void {
    if (this.#refCount === this.#refs.length) {
      const next = new Uint32Array(this.#refs.length * 2);
      next.set(this.#refs);
      this.#refs = next;
    }
    this.#refs[this.#refCount++] = ref;
  }
}

/**
 * Decodes one request with a new {@link FastDecoderV2}; see {@link FastDecoderV2.decode}. A
 * receiver should keep one decoder instead, so that its tables are reused.
 */
export function decodeRequestV2Fast(buf: Uint8Array, sink: WriteSink): void {
  new FastDecoderV2().decode(buf, sink);
}
