/**
 * Remote-write request bodies (before snappy) straight from decoded queue records: 1.0
 * `prometheus.WriteRequest` or 2.0 `io.prometheus.write.v2.Request`, with the field numbers of
 * Prometheus's `prompb`. Nothing is built per sample and no string is made: 1.0 labels are copied
 * as they lie in the record's label table, 2.0's symbol table refers to the same bytes, and
 * values are copied from the record's value column as bytes (so NaN payloads are kept exactly).
 * The seed's object encoders (`src/wire/remote-write/v1.ts`, `v2.ts`) produce the same messages
 * from objects.
 */
import { ByteBuffer, uvarintSize } from "./byte-buffer.js";
import { type LabelFieldParts, labelFieldParts } from "./label-field.js";
import type { DecodedRecord } from "./record-codec.js";
import { SymbolTable } from "./symbol-table.js";

/** Samples of one record going to one shard: sample indexes grouped by series, per-series order kept. */
export interface Slice {
  readonly rec: DecodedRecord;
  readonly order: Uint32Array;
  readonly from: number;
  readonly to: number;
}

/** Which remote-write message to send. */
export type RemoteWriteVersion = "1.0" | "2.0";

/** Bytes of one `samples` field at most: tag, length, value (tag + 8), timestamp (tag + 10). */
const MAX_SAMPLE_FIELD = 2 + 9 + 11;
/** Ends a run's label refs in the 2.0 encoder's list (no request has 2^32 − 1 symbols). */
const END_OF_LABELS = 0xffffffff;

/** A record's labels' 2.0 refs in one request: valid where `stamp[k]` is the request's number. */
interface RecordRefs {
  readonly stamp: Float64Array;
  readonly refs: Uint32Array;
}

/**
 * Encodes requests into one reused buffer. The returned view is valid until the next call: compress
 * (or copy) it before encoding again. Not reentrant.
 */
export class RequestEncoder {
  readonly #out = new ByteBuffer(256 * 1024);
  readonly #symbols = new SymbolTable();
  #labelRefs = new Uint32Array(4096);
  readonly #recordRefs = new WeakMap<DecodedRecord, RecordRefs>();
  #request = 0;
  readonly #at: LabelFieldParts = { name0: 0, name1: 0, value0: 0, value1: 0 };
  /** The last timestamp encoded (as stored), and its protobuf `int64` bytes (samples of a scrape share one). */
  #t = Number.NaN;
  readonly #tBytes = new Uint8Array(10);
  #tLen = 0;
  #tWire = 0;
  /** Largest timestamp written so far in the request being encoded (as sent). */
  #maxT = Number.NEGATIVE_INFINITY;
  /** Largest sample timestamp of the last request encoded (Unix ms), for the sharding delay. */
  maxTimestamp = Number.NEGATIVE_INFINITY;
  /** A view of the output buffer (replaced when the buffer grows). */
  #view: DataView | undefined;

  /** Encodes `slices` as the given version. */
  encode(version: RemoteWriteVersion, slices: readonly Slice[]): Uint8Array {
    return version === "2.0" ? this.encodeV2(slices) : this.encodeV1(slices);
  }

  /** A `prometheus.WriteRequest`: one TimeSeries per run of samples of a series. */
  encodeV1(slices: readonly Slice[]): Uint8Array {
    const out = this.#out;
    out.reset();
    this.#maxT = Number.NEGATIVE_INFINITY;
    for (const sl of slices) {
      const { rec, order } = sl;
      const { body, sampleSeries, timestamps } = rec;
      const { labelStart, seriesStart, labelRefs, bodyView } = rec;
      let i = sl.from;
      while (i < sl.to) {
        const s = sampleSeries[order[i]!]!;
        let j = i + 1;
        while (j < sl.to && sampleSeries[order[j]!] === s) j++;
        const r0 = seriesStart[s]!;
        const r1 = seriesStart[s + 1]!;
        // Sizes first: protobuf lengths precede the bytes.
        let size = 0;
        for (let k = r0; k < r1; k++) {
          const l = labelRefs[k]!;
          size += labelStart[l + 1]! - labelStart[l]!;
        }
        for (let x = i; x < j; x++) {
          this.#timestamp(timestamps[order[x]!]!);
          size += 12 + this.#tLen;
        }
        out.ensure(11 + size);
        out.byte(0x0a); // WriteRequest.timeseries = 1
        out.uvarint(size);
        const buf = out.buf;
        const view = this.#viewOf(buf);
        let p = out.length;
        for (let k = r0; k < r1; k++) {
          const l = labelRefs[k]!;
          p = copyBytes(buf, view, p, body, bodyView, labelStart[l]!, labelStart[l + 1]!);
        }
        out.length = this.#samples(buf, p, rec, order, i, j);
        i = j;
      }
    }
    this.maxTimestamp = this.#maxT;
    return out.buf.subarray(0, out.length);
  }

  #viewOf(buf: Uint8Array): DataView {
    let v = this.#view;
    if (v === undefined || v.buffer !== buf.buffer) {
      v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.#view = v;
    }
    return v;
  }

  /** An `io.prometheus.write.v2.Request`: the symbol table, then one TimeSeries per run of samples of a series. */
  encodeV2(slices: readonly Slice[]): Uint8Array {
    const out = this.#out;
    out.reset();
    const symbols = this.#symbols;
    symbols.reset();
    const stamp = ++this.#request;
    const at = this.#at;
    // Pass 1: request refs of every label of every run, in run order.
    let nRefs = 0;
    for (const sl of slices) {
      const { rec, order } = sl;
      const { body, sampleSeries, labelStart, seriesStart, labelRefs } = rec;
      // The request's refs of the record's labels (name, value), found once per request.
      let cache = this.#recordRefs.get(rec);
      if (cache === undefined) {
        cache = { stamp: new Float64Array(labelStart.length), refs: new Uint32Array(2 * labelStart.length) };
        this.#recordRefs.set(rec, cache);
      }
      const { stamp: seen, refs: known } = cache;
      let i = sl.from;
      while (i < sl.to) {
        const s = sampleSeries[order[i]!]!;
        let j = i + 1;
        while (j < sl.to && sampleSeries[order[j]!] === s) j++;
        const r0 = seriesStart[s]!;
        const r1 = seriesStart[s + 1]!;
        if (nRefs + 2 * (r1 - r0) + 1 > this.#labelRefs.length) {
          const grown = new Uint32Array(Math.max(this.#labelRefs.length * 2, nRefs + 2 * (r1 - r0) + 1));
          grown.set(this.#labelRefs.subarray(0, nRefs));
          this.#labelRefs = grown;
        }
        const refs = this.#labelRefs;
        for (let k = r0; k < r1; k++) {
          const l = labelRefs[k]!;
          if (seen[l] !== stamp) {
            seen[l] = stamp;
            labelFieldParts(body, labelStart[l]!, at);
            known[2 * l] = symbols.ref(body, at.name0, at.name1);
            known[2 * l + 1] = symbols.ref(body, at.value0, at.value1);
          }
          refs[nRefs++] = known[2 * l]!;
          refs[nRefs++] = known[2 * l + 1]!;
        }
        refs[nRefs++] = END_OF_LABELS;
        i = j;
      }
    }
    symbols.write(out);
    let r = 0;
    this.#maxT = Number.NEGATIVE_INFINITY;
    const labelRefs = this.#labelRefs;
    for (const sl of slices) {
      const { rec, order } = sl;
      const { sampleSeries, timestamps } = rec;
      let i = sl.from;
      while (i < sl.to) {
        const s = sampleSeries[order[i]!]!;
        let j = i + 1;
        while (j < sl.to && sampleSeries[order[j]!] === s) j++;
        let nl = 0;
        let packed = 0;
        while (labelRefs[r + nl] !== END_OF_LABELS) packed += uvarintSize(labelRefs[r + nl++]!);
        let size = nl > 0 ? 1 + uvarintSize(packed) + packed : 0;
        for (let x = i; x < j; x++) {
          this.#timestamp(timestamps[order[x]!]!);
          size += 12 + this.#tLen;
        }
        out.byte(0x2a); // Request.timeseries = 5
        out.uvarint(size);
        if (nl > 0) {
          out.byte(0x0a); // TimeSeries.labels_refs = 1, packed
          out.uvarint(packed);
          for (let k = 0; k < nl; k++) out.uvarint(labelRefs[r + k]!);
        }
        r += nl + 1;
        out.ensure((j - i) * MAX_SAMPLE_FIELD);
        out.length = this.#samples(out.buf, out.length, rec, order, i, j);
        i = j;
      }
    }
    this.maxTimestamp = this.#maxT;
    return out.buf.subarray(0, out.length);
  }

  /**
   * Writes the `samples` fields (number 2 in both versions' `TimeSeries`) of samples
   * `order[i, j)` of `rec` at `buf[p]`, which has room; returns the end. Raises `#maxT`.
   */
  #samples(buf: Uint8Array, p: number, rec: DecodedRecord, order: Uint32Array, i: number, j: number): number {
    const vb = rec.valueBytes;
    for (let x = i; x < j; x++) {
      const idx = order[x]!;
      this.#timestamp(rec.timestamps[idx]!);
      if (this.#tWire > this.#maxT) this.#maxT = this.#tWire;
      const tLen = this.#tLen;
      buf[p] = 0x12; // TimeSeries.samples = 2
      buf[p + 1] = 10 + tLen;
      buf[p + 2] = 0x09; // Sample.value = 1, fixed64
      const v = idx * 8;
      buf[p + 3] = vb[v]!;
      buf[p + 4] = vb[v + 1]!;
      buf[p + 5] = vb[v + 2]!;
      buf[p + 6] = vb[v + 3]!;
      buf[p + 7] = vb[v + 4]!;
      buf[p + 8] = vb[v + 5]!;
      buf[p + 9] = vb[v + 6]!;
      buf[p + 10] = vb[v + 7]!;
      buf[p + 11] = 0x10; // Sample.timestamp = 2, varint
      p += 12;
      const tb = this.#tBytes;
      for (let k = 0; k < tLen; k++) buf[p++] = tb[k]!;
    }
    return p;
  }

  /** Makes `#tBytes[0, #tLen)` the protobuf `int64` of stored timestamp `t` (as sent), `#tWire` its value. */
  #timestamp(t: number): void {
    if (t === this.#t) return;
    const w = wireTs(t);
    this.#t = t;
    this.#tWire = w;
    const tb = this.#tBytes;
    let n = 0;
    if (w >= 0) {
      let v = w;
      while (v >= 0x80) {
        tb[n++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      tb[n++] = v;
    } else {
      let x = BigInt.asUintN(64, BigInt(w));
      for (let k = 0; k < 9; k++) {
        tb[n++] = Number(x & 0x7fn) | 0x80;
        x >>= 7n;
      }
      tb[n++] = Number(x);
    }
    this.#tLen = n;
  }
}

/** Remote-write timestamps are int64 ms: a fractional or out-of-range one is truncated and clamped. */
function wireTs(t: number): number {
  if (Number.isSafeInteger(t)) return t;
  if (Number.isNaN(t)) return 0;
  return Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Math.trunc(t)));
}

/**
 * Copies `src[a, e)` to `dst[p]` (which has room) and returns the end. Label fields are short
 * (mostly 15–60 bytes): a byte loop costs about 3 ns a byte and `set` on a subarray allocates, so
 * whole words go through the views as 32-bit integers, which no float conversion can alter.
 */
function copyBytes(
  dst: Uint8Array,
  dstView: DataView,
  p: number,
  src: Uint8Array,
  srcView: DataView,
  a: number,
  e: number,
): number {
  for (; a + 8 <= e; a += 8, p += 8) {
    dstView.setInt32(p, srcView.getInt32(a, true), true);
    dstView.setInt32(p + 4, srcView.getInt32(a + 4, true), true);
  }
  if (a + 4 <= e) {
    dstView.setInt32(p, srcView.getInt32(a, true), true);
    a += 4;
    p += 4;
  }
  while (a < e) dst[p++] = src[a++]!;
  return p;
}
