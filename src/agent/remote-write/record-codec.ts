/**
 * The disk-queue record of the metrics side: one `SampleBatch` (or a slice of one) as one
 * self-contained payload (docs/format/agent-queue-records.md). A per-record label table (each
 * distinct label once, as remote-write 1.0 encodes it: `label-field.ts`), series as label
 * references, then three columns — series deltas, timestamp deltas, raw float64 values —
 * snappy-compressed together. Values are copied as bytes, never as numbers, so NaN payloads (the
 * stale marker) survive bit for bit. Records of version 1 (a table of strings instead of labels)
 * are still decoded.
 */
import type { Labels } from "../../model/labels.js";
import { snappyCompress, snappyDecompress } from "../../wire/snappy.js";
import type { SampleBatch } from "../sample-batch.js";
import { ByteBuffer, ByteReader } from "./byte-buffer.js";
import { checkLabelField, labelsFromFields, writeLabelField, writeLabelFieldBytes } from "./label-field.js";

/** First byte of every record this encoder writes. */
export const RECORD_VERSION = 2;
/** Version 1: a table of strings instead of labels; decoded, no longer written. */
const RECORD_VERSION_SYMBOLS = 1;
/** Flag: the body is one snappy block. */
const FLAG_SNAPPY = 1;
/** Flag: timestamps are raw float64 (some were not safe integers, were -0, or jumped too far for a delta). */
const FLAG_RAW_TIMESTAMPS = 2;
/** Bodies shorter than this are stored as they are (snappy would not pay for its preamble). */
const MIN_COMPRESS_BYTES = 64;
/** Largest body a record may declare: guards decode against a damaged size. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;
/** Deltas beyond this (in either direction) make the record keep raw timestamps. */
const MAX_DELTA = 2 ** 51;

/** Label fields are kept in shared slabs of this many bytes (fewer small arrays to keep); longer ones alone. */
const SLAB_BYTES = 16 * 1024;
const SLAB_MAX_FIELD = SLAB_BYTES / 16;
/** Distinct labels the encoder keeps for sharing between series; past this it starts over. */
const MAX_SHARED_LABELS = 1 << 18;

/** A record decoded into typed arrays; no object per sample or per label. */
export interface DecodedRecord {
  readonly samples: number;
  readonly series: number;
  /**
   * Holds the record's labels, each one `TimeSeries.labels` field (label-field.ts, checked by the
   * decoder): label `k` is `body[labelStart[k], labelStart[k + 1])`.
   */
  readonly body: Uint8Array;
  /** A view of `body`, made once per record, for copying its bytes a word at a time. */
  readonly bodyView: DataView;
  readonly labelStart: Uint32Array;
  /** The labels of series `s` are `labelRefs[seriesStart[s], seriesStart[s + 1])`, in name order. */
  readonly seriesStart: Uint32Array;
  readonly labelRefs: Uint32Array;
  /** The series of each sample, in the batch's order. */
  readonly sampleSeries: Uint32Array;
  /** Unix ms per sample. */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /** The bytes of `values` (little-endian float64s), for copying values without touching them as numbers. */
  readonly valueBytes: Uint8Array;
}

/** The sample count a record declares in its header, read without decompressing it. */
export function recordSampleCount(payload: Uint8Array): number {
  return new ByteReader(payload, 2).uvarint();
}

/** A label as the encoder keeps it: its field's bytes `slab[start, end)`. */
interface CachedLabel {
  readonly slab: Uint8Array;
  readonly start: number;
  readonly end: number;
  /** The `encode` call that last numbered this label, and its number there. */
  stamp: number;
  index: number;
}

/**
 * What a record's body starts with, which depends only on which label sets a batch holds in which
 * order: the label table, the series, and the sample series column, as they lie in the body.
 */
interface Shape {
  /** The batch's label sets, sample by sample (a copy: builders reuse their arrays). */
  readonly labels: readonly Labels[];
  readonly series: number;
  readonly labelCount: number;
  readonly bytes: Uint8Array;
}

/**
 * Encodes batches into records. Keeps, per batch source (`SampleBatch.source`, e.g. a scrape
 * loop's builder) for as long as it lives, the shape of its last batch: a source whose next batch
 * holds the same `Labels` objects in the same order — a steady target, scrape after scrape — costs
 * one pointer comparison per sample and a copy of the cached bytes. A new shape encodes each label
 * from the shared table of label fields, so a label's bytes are made once however many series and
 * sources use it. One encoder per queue; not reentrant.
 */
export class RecordEncoder {
  readonly #body = new ByteBuffer();
  readonly #out = new ByteBuffer(256);
  readonly #scratch = new ByteBuffer(256);
  readonly #shapeBuffer = new ByteBuffer();
  /** Each source's last shape, for as long as the source lives. */
  readonly #shapes = new WeakMap<object, Shape>();
  /** Name → value → label, for sharing; cleared past MAX_SHARED_LABELS (kept labels stay valid). */
  #shared = new Map<string, Map<string, CachedLabel>>();
  #sharedCount = 0;
  readonly #labelList: CachedLabel[] = [];
  #slab = new Uint8Array(SLAB_BYTES);
  #slabUsed = 0;
  #stamp = 0;

  /** `maxSharedLabels`: distinct labels kept for sharing before starting over (tests lower it). */
  constructor(private readonly maxSharedLabels = MAX_SHARED_LABELS) {}

  /**
   * Samples `[from, to)` of `batch` as one record, a new array owned by the caller. Throws
   * RangeError when `batch.labels` is shorter than the range.
   */
  encode(batch: SampleBatch, from = 0, to = batch.length): Uint8Array {
    const n = to - from;
    const shape = this.#shapeOf(batch, from, to);
    const body = this.#body;
    body.reset();
    body.bytes(shape.bytes, 0, shape.bytes.length);
    const ts = batch.timestamps;
    let rawTs = false;
    let prevT = 0;
    for (let i = from; i < to; i++) {
      const t = ts[i]!;
      // -0 is a safe integer whose sign a delta would lose.
      if (!Number.isSafeInteger(t) || Math.abs(t - prevT) > MAX_DELTA || Object.is(t, -0)) {
        rawTs = true;
        break;
      }
      prevT = t;
    }
    if (rawTs) {
      body.bytes(new Uint8Array(ts.buffer, ts.byteOffset + from * 8, n * 8), 0, n * 8);
    } else {
      prevT = 0;
      for (let i = from; i < to; i++) {
        const t = ts[i]!;
        if (t === prevT) {
          body.byte(0);
          continue;
        }
        body.zigzag(t - prevT);
        prevT = t;
      }
    }
    const vs = batch.values;
    body.bytes(new Uint8Array(vs.buffer, vs.byteOffset + from * 8, n * 8), 0, n * 8);

    const compress = body.length >= MIN_COMPRESS_BYTES;
    const out = this.#out;
    out.reset();
    out.byte(RECORD_VERSION);
    out.byte((compress ? FLAG_SNAPPY : 0) | (rawTs ? FLAG_RAW_TIMESTAMPS : 0));
    out.uvarint(n);
    out.uvarint(shape.series);
    out.uvarint(shape.labelCount);
    const view = body.buf.subarray(0, body.length);
    const payload = compress ? snappyCompress(view) : view;
    const rec = new Uint8Array(out.length + payload.length);
    rec.set(out.buf.subarray(0, out.length));
    rec.set(payload, out.length);
    return rec;
  }

  /** The shape of samples `[from, to)`: the source's cached one when the label sets are the same. */
  #shapeOf(batch: SampleBatch, from: number, to: number): Shape {
    const source = batch.source;
    if (source === undefined || from !== 0 || to !== batch.length) {
      return this.#shape(batch.labels, from, to, false);
    }
    const known = this.#shapes.get(source);
    if (known !== undefined && sameObjects(known.labels, batch.labels, to)) return known;
    const shape = this.#shape(batch.labels, 0, to, true);
    this.#shapes.set(source, shape);
    return shape;
  }

  /** Encodes the shape of `labels[from, to)`; `keep`: copy the label sets to recognise it later. */
  #shape(labels: readonly Labels[], from: number, to: number, keep: boolean): Shape {
    const stamp = ++this.#stamp;
    const labelList = this.#labelList;
    const index = new Map<Labels, number>();
    const series: CachedLabel[][] = [];
    const seriesOf = new Uint32Array(to - from);
    let nLabels = 0;
    let nRefs = 0;
    let labelBytes = 0;
    for (let i = from; i < to; i++) {
      const l = labels[i];
      if (l === undefined) throw new RangeError(`record: batch has no labels for sample ${i}`);
      let s = index.get(l);
      if (s === undefined) {
        s = series.length;
        index.set(l, s);
        const p = l.pairs;
        const ls: CachedLabel[] = new Array(p.length >> 1);
        for (let k = 0; k < p.length; k += 2) {
          const c = this.#label(p[k]!, p[k + 1]!);
          ls[k >> 1] = c;
          if (c.stamp === stamp) continue;
          c.stamp = stamp;
          c.index = nLabels;
          if (nLabels < labelList.length) labelList[nLabels] = c;
          else labelList.push(c);
          nLabels++;
          labelBytes += c.end - c.start;
        }
        nRefs += ls.length;
        series.push(ls);
      }
      seriesOf[i - from] = s;
    }
    const out = this.#shapeBuffer;
    out.reset();
    out.ensure(labelBytes + 5 * (series.length + nRefs) + 5 * seriesOf.length);
    const buf = out.buf;
    let p = 0;
    for (let k = 0; k < nLabels; k++) {
      const l = labelList[k]!;
      const slab = l.slab;
      for (let j = l.start; j < l.end; j++) buf[p++] = slab[j]!;
    }
    for (const ls of series) {
      p = putUvarint(buf, p, ls.length);
      for (const l of ls) p = putUvarint(buf, p, l.index);
    }
    out.length = p;
    let prev = -1;
    for (let i = 0; i < seriesOf.length; i++) {
      const s = seriesOf[i]!;
      out.zigzag(s - prev - 1);
      prev = s;
    }
    return {
      labels: keep ? labels.slice(from, to) : [],
      series: series.length,
      labelCount: nLabels,
      bytes: out.buf.slice(0, out.length),
    };
  }

  /** The kept label `name`=`value`, shared with other series while the sharing map holds it. */
  #label(name: string, value: string): CachedLabel {
    let values = this.#shared.get(name);
    const found = values?.get(value);
    if (found !== undefined) return found;
    if (this.#sharedCount >= this.maxSharedLabels) {
      this.#shared = new Map();
      this.#sharedCount = 0;
      values = undefined;
    }
    if (values === undefined) {
      values = new Map();
      this.#shared.set(name, values);
    }
    const scratch = this.#scratch;
    scratch.reset();
    writeLabelField(scratch, name, value);
    const size = scratch.length;
    let slab: Uint8Array;
    let start = 0;
    if (size > SLAB_MAX_FIELD) {
      slab = new Uint8Array(size);
    } else {
      if (this.#slabUsed + size > SLAB_BYTES) {
        this.#slab = new Uint8Array(SLAB_BYTES);
        this.#slabUsed = 0;
      }
      slab = this.#slab;
      start = this.#slabUsed;
      this.#slabUsed += size;
    }
    slab.set(scratch.buf.subarray(0, size), start);
    const l: CachedLabel = { slab, start, end: start + size, stamp: 0, index: 0 };
    values.set(value, l);
    this.#sharedCount++;
    return l;
  }
}

/** Whether `a` holds exactly the first `n` objects of `b`, in order. */
function sameObjects(a: readonly object[], b: readonly object[], n: number): boolean {
  if (a.length !== n || b.length < n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Writes `v` (below 2^32) as an unsigned varint at `buf[p]`, which has room; returns the end. */
function putUvarint(buf: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

/**
 * Decodes a record (either version). Throws RangeError (or the snappy decoder's error) for bytes
 * that are not a valid record of a known version; the returned arrays are new and owned by the
 * caller.
 */
export function decodeRecord(payload: Uint8Array): DecodedRecord {
  const version = payload[0];
  if (version !== RECORD_VERSION && version !== RECORD_VERSION_SYMBOLS)
    throw new RangeError(`record: unknown version ${version}`);
  const flags = payload[1] ?? 0;
  const h = new ByteReader(payload, 2);
  const samples = h.uvarint();
  const nSeries = h.uvarint();
  const nTable = h.uvarint();
  if (nSeries > samples || nTable > MAX_BODY_BYTES)
    throw new RangeError("record: header counts out of range");
  const rest = payload.subarray(h.pos);
  const raw = flags & FLAG_SNAPPY ? snappyDecompress(rest, MAX_BODY_BYTES) : rest.slice();
  // Each sample takes at least 9 bytes, each label 6, each string 1: guards the allocations below.
  if (samples * 9 > raw.length || nTable > raw.length)
    throw new RangeError("record: header counts out of range");
  const r = new ByteReader(raw);
  const labels =
    version === RECORD_VERSION ? readLabels(r, nTable, nSeries) : readSymbolSeries(r, nTable, nSeries);
  const sampleSeries = new Uint32Array(samples);
  let prev = -1;
  for (let i = 0; i < samples; i++) {
    const s = prev + 1 + r.zigzag();
    if (s < 0 || s >= nSeries) throw new RangeError("record: series index out of range");
    sampleSeries[i] = s;
    prev = s;
  }
  const timestamps = new Float64Array(samples);
  if (flags & FLAG_RAW_TIMESTAMPS) {
    readColumn(r, new Uint8Array(timestamps.buffer), samples);
  } else {
    let t = 0;
    for (let i = 0; i < samples; i++) {
      t += r.zigzag();
      timestamps[i] = t;
    }
  }
  const values = new Float64Array(samples);
  const valueBytes = new Uint8Array(values.buffer);
  readColumn(r, valueBytes, samples);
  if (r.pos !== raw.length) throw new RangeError("record: trailing bytes");
  const bodyView = new DataView(labels.body.buffer, labels.body.byteOffset, labels.body.byteLength);
  return { samples, series: nSeries, ...labels, bodyView, sampleSeries, timestamps, values, valueBytes };
}

/** The label table and series of a record, as `DecodedRecord` holds them. */
type RecordLabels = Pick<DecodedRecord, "body" | "labelStart" | "seriesStart" | "labelRefs">;

/** Version 2's label table and series, read from `r` (its buffer becomes the record's `body`). */
function readLabels(r: ByteReader, nLabels: number, nSeries: number): RecordLabels {
  const body = r.buf;
  const labelStart = new Uint32Array(nLabels + 1);
  for (let k = 0; k < nLabels; k++) {
    labelStart[k] = r.pos;
    r.pos = checkLabelField(body, r.pos, r.end);
  }
  labelStart[nLabels] = r.pos;
  const seriesStart = new Uint32Array(nSeries + 1);
  let refs = new Uint32Array(Math.max(16, nSeries * 8));
  let k = 0;
  for (let s = 0; s < nSeries; s++) {
    seriesStart[s] = k;
    const nl = r.uvarint();
    if (k + nl > refs.length) {
      if (nl > r.end - r.pos) throw new RangeError("record: label count runs past the end");
      const grown = new Uint32Array(Math.max(refs.length * 2, k + nl));
      grown.set(refs.subarray(0, k));
      refs = grown;
    }
    for (let j = 0; j < nl; j++) {
      const ref = r.uvarint();
      if (ref >= nLabels) throw new RangeError("record: label reference out of range");
      refs[k++] = ref;
    }
  }
  seriesStart[nSeries] = k;
  return { body, labelStart, seriesStart, labelRefs: refs.subarray(0, k) };
}

/**
 * Version 1's string table and series (pairs of string references), read from `r`, as a label
 * table in a new array (a label per series label: not shared).
 */
function readSymbolSeries(r: ByteReader, nSymbols: number, nSeries: number): RecordLabels {
  const raw = r.buf;
  const symStart = new Uint32Array(nSymbols);
  const symEnd = new Uint32Array(nSymbols);
  for (let i = 0; i < nSymbols; i++) {
    const len = r.uvarint();
    symStart[i] = r.pos;
    r.pos += len;
    if (r.pos > raw.length) throw new RangeError("record: symbol runs past the end");
    symEnd[i] = r.pos;
  }
  const out = new ByteBuffer(1024);
  const seriesStart = new Uint32Array(nSeries + 1);
  const starts: number[] = [];
  for (let s = 0; s < nSeries; s++) {
    seriesStart[s] = starts.length;
    const nl = r.uvarint();
    for (let j = 0; j < nl; j++) {
      const name = r.uvarint();
      const value = r.uvarint();
      if (name >= nSymbols || value >= nSymbols)
        throw new RangeError("record: symbol reference out of range");
      starts.push(out.length);
      writeLabelFieldBytes(out, raw, symStart[name]!, symEnd[name]!, raw, symStart[value]!, symEnd[value]!);
    }
  }
  seriesStart[nSeries] = starts.length;
  starts.push(out.length);
  const labelRefs = new Uint32Array(starts.length - 1);
  for (let k = 0; k < labelRefs.length; k++) labelRefs[k] = k;
  return {
    body: out.buf.subarray(0, out.length),
    labelStart: Uint32Array.from(starts),
    seriesStart,
    labelRefs,
  };
}

/** The label set of series `s` of a decoded record (builds strings: for tests, tools and logs). */
export function seriesLabels(rec: DecodedRecord, s: number): Labels {
  return labelsFromFields(
    rec.body,
    rec.labelStart,
    rec.labelRefs.subarray(rec.seriesStart[s], rec.seriesStart[s + 1]),
  );
}

/** A decoded record as a `SampleBatch` again (tests, tools): builds a `Labels` per series. */
export function recordToBatch(rec: DecodedRecord): SampleBatch {
  const bySeries: Labels[] = [];
  for (let s = 0; s < rec.series; s++) bySeries.push(seriesLabels(rec, s));
  const labels: Labels[] = [];
  for (let i = 0; i < rec.samples; i++) labels.push(bySeries[rec.sampleSeries[i]!]!);
  return { length: rec.samples, labels, timestamps: rec.timestamps, values: rec.values };
}

/** Reads `n` raw little-endian float64s into `dst` (their bytes, copied). */
function readColumn(r: ByteReader, dst: Uint8Array, n: number): void {
  if (r.pos + n * 8 > r.end) throw new RangeError("record: column runs past the end");
  dst.set(r.buf.subarray(r.pos, r.pos + n * 8));
  r.pos += n * 8;
}
