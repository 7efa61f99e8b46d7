/**
 * Decodes series entries of an index (docs/format/index.md, "Series") into reused buffers.
 */
import { Labels } from "../../../model/labels.js";
import { type ChunkMeta, SERIES_PER_GROUP as GROUP } from "./index-format.js";
import { ByteCursor, readU32 } from "./varint.js";

/** The parts of an open index a {@link SeriesDecoder} reads; owned by the reader, never changed. */
export interface SeriesTables {
  readonly file: string;
  /** The whole index file. */
  readonly buf: Uint8Array;
  readonly seriesCount: number;
  readonly symbols: readonly string[];
  /** Symbol of each label name, by name index. */
  readonly nameSymbols: Uint32Array;
  /** First pair number of each name; entry `nameCount` is the number of pairs. */
  readonly valueStart: Uint32Array;
  /** Symbol of each pair's value, by pair number. */
  readonly valueSymbols: Uint32Array;
  /** The series section, `[seriesStart, seriesEnd)` of `buf`. */
  readonly seriesStart: number;
  readonly seriesEnd: number;
  /** Start of the series offsets section in `buf`. */
  readonly groupOffsets: number;
}

/** One series of an index: its labels and its chunks' metadata, sorted by time. */
export interface IndexSeries {
  readonly labels: Labels;
  readonly chunks: ChunkMeta[];
}

/**
 * A reusable decoder of series entries. After {@link SeriesDecoder.decode}, `chunkCount` and the
 * first `chunkCount` elements of `minT`, `maxT` and `ref` describe the series' chunks; those
 * arrays belong to the decoder and are overwritten (or replaced, when they grow) by the next call.
 * Label strings are the index's symbols, so decoding creates none; {@link SeriesDecoder.labels}
 * builds the label set on first access. Decoding ids in increasing order continues from the
 * previous entry instead of restarting at its group. Not safe for concurrent use.
 */
export class SeriesDecoder {
  /** Number of chunks of the decoded series. */
  chunkCount = 0;
  /** Chunk start times, ms. */
  minT: Float64Array = new Float64Array(8);
  /** Chunk end times, ms (inclusive). */
  maxT: Float64Array = new Float64Array(8);
  /** Chunk references. */
  ref: Float64Array = new Float64Array(8);

  readonly #t: SeriesTables;
  readonly #cur: ByteCursor;
  /** The last decoded id, −1 when none (or after a failure). */
  #id = -1;
  #names = new Uint32Array(16);
  #pairs = new Uint32Array(16);
  #size = 0;
  // chunk 0 of the last series read in the group that had chunks (all 0 at the group's start)
  #prevMinT = 0;
  #prevDur = 0;
  #prevRef = 0;
  #labels: Labels | undefined;

  constructor(tables: SeriesTables) {
    this.#t = tables;
    this.#cur = new ByteCursor(tables.buf, tables.seriesStart, tables.seriesStart, tables.file, "series");
  }

  /** The id of the decoded series, or −1. */
  get id(): number {
    return this.#id;
  }

  /**
   * Decodes series `id` (an integer in `[0, seriesCount)`, else a RangeError). Throws
   * `IndexCorruptedError` when the entry does not decode.
   */
  decode(id: number): void {
    const t = this.#t;
    if (!Number.isInteger(id) || id < 0 || id >= t.seriesCount) {
      throw new RangeError(`series id ${id} is not in [0, ${t.seriesCount}) of index ${t.file}`);
    }
    const cur = this.#cur;
    const last = this.#id;
    this.#id = -1;
    this.#labels = undefined;
    const group = Math.floor(id / GROUP);
    let k: number;
    if (last >= 0 && last < id && Math.floor(last / GROUP) === group) {
      k = last + 1;
    } else {
      const groups = Math.ceil(t.seriesCount / GROUP);
      cur.pos = t.seriesStart + readU32(t.buf, t.groupOffsets + group * 4);
      cur.end =
        group + 1 < groups ? t.seriesStart + readU32(t.buf, t.groupOffsets + group * 4 + 4) : t.seriesEnd;
      this.#prevMinT = 0;
      this.#prevDur = 0;
      this.#prevRef = 0;
      this.#size = 0;
      k = group * GROUP;
    }
    for (; k < id; k++) {
      this.#readLabels();
      const len = cur.uvarint();
      if (len > cur.end - cur.pos) cur.fail(`chunk metas of ${len} bytes run past the end`);
      const end = cur.pos + len;
      if (len > 0) {
        this.#readFirstChunk();
        if (cur.pos > end) cur.fail(`chunk metas of ${len} bytes are shorter than their first chunk`);
      }
      cur.pos = end;
    }
    this.#readLabels();
    this.#readChunks();
    this.#id = id;
  }

  /** The labels of the decoded series (built on first access, then cached until the next decode). */
  get labels(): Labels {
    if (this.#id < 0) throw new Error("SeriesDecoder.labels: no series decoded");
    if (this.#labels === undefined) {
      const t = this.#t;
      const flat: string[] = new Array(this.#size * 2);
      for (let i = 0; i < this.#size; i++) {
        flat[2 * i] = t.symbols[t.nameSymbols[this.#names[i]!]!]!;
        flat[2 * i + 1] = t.symbols[t.valueSymbols[this.#pairs[i]!]!]!;
      }
      this.#labels = Labels.fromSortedPairsUnsafe(flat);
    }
    return this.#labels;
  }

  /** A copy of the decoded series, owned by the caller. */
  toSeries(): IndexSeries {
    const chunks: ChunkMeta[] = [];
    for (let i = 0; i < this.chunkCount; i++) {
      chunks.push({ minT: this.minT[i]!, maxT: this.maxT[i]!, ref: this.ref[i]! });
    }
    return { labels: this.labels, chunks };
  }

  #readLabels(): void {
    const t = this.#t;
    const cur = this.#cur;
    const shared = cur.uvarint();
    if (shared > this.#size) cur.fail(`${shared} shared labels after a series of ${this.#size}`);
    const size = shared + cur.uvarint();
    if (size === 0) cur.fail("a series without labels");
    if (size > this.#names.length) {
      const names = new Uint32Array(size * 2);
      names.set(this.#names.subarray(0, shared));
      this.#names = names;
      const pairs = new Uint32Array(size * 2);
      pairs.set(this.#pairs.subarray(0, shared));
      this.#pairs = pairs;
    }
    const names = this.#names;
    const pairs = this.#pairs;
    const nameCount = t.nameSymbols.length;
    for (let i = shared; i < size; i++) {
      const name = cur.uvarint();
      if (name >= nameCount) cur.fail(`label name ${name} of ${nameCount}`);
      if (i > 0 && name <= names[i - 1]!) cur.fail("label names not increasing");
      const first = t.valueStart[name]!;
      const ordinal = cur.uvarint();
      if (ordinal >= t.valueStart[name + 1]! - first) cur.fail(`value ordinal ${ordinal} out of range`);
      names[i] = name;
      pairs[i] = first + ordinal;
    }
    this.#size = size;
  }

  /** Reads chunk 0 of an entry (relative to the previous series' chunk 0), making it the new base. */
  #readFirstChunk(): void {
    const cur = this.#cur;
    const minT = this.#prevMinT + cur.svarint();
    const dur = this.#prevDur + cur.svarint();
    const ref = this.#prevRef + cur.svarint();
    if (dur < 0 || ref < 0 || !Number.isSafeInteger(minT + dur) || !Number.isSafeInteger(ref)) {
      cur.fail("chunk meta out of range");
    }
    this.#prevMinT = minT;
    this.#prevDur = dur;
    this.#prevRef = ref;
  }

  #readChunks(): void {
    const cur = this.#cur;
    const len = cur.uvarint();
    if (len > cur.end - cur.pos) cur.fail(`chunk metas of ${len} bytes run past the end`);
    const groupEnd = cur.end;
    cur.end = cur.pos + len;
    let n = 0;
    if (len > 0) {
      this.#readFirstChunk();
      let minT = this.#prevMinT;
      let dur = this.#prevDur;
      let ref = this.#prevRef;
      let gap = 0;
      for (;;) {
        if (n === this.minT.length) this.#grow();
        this.minT[n] = minT;
        this.maxT[n] = minT + dur;
        this.ref[n] = ref;
        n++;
        if (cur.pos >= cur.end) break;
        gap = gap === 0 ? cur.uvarint() : gap + cur.svarint();
        if (gap <= 0) cur.fail("chunks overlap");
        minT += dur + gap;
        dur += cur.svarint();
        ref += cur.svarint();
        if (dur < 0 || ref < 0 || !Number.isSafeInteger(minT + dur) || !Number.isSafeInteger(ref)) {
          cur.fail("chunk meta out of range");
        }
      }
    }
    cur.end = groupEnd;
    this.chunkCount = n;
  }

  #grow(): void {
    const n = this.minT.length * 2;
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.minT = grow(this.minT);
    this.maxT = grow(this.maxT);
    this.ref = grow(this.ref);
  }
}
