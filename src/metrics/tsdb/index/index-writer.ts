/**
 * Writes the index file of a block (docs/format/index.md, "Writing").
 */
import { type FileHandle, open, rm } from "node:fs/promises";
import { Labels } from "../../../model/labels.js";
import { crc32c } from "../chunk/crc32c.js";
import { FileSink, type SectionExtent } from "./file-sink.js";
import { IndexWriteError } from "./index-errors.js";
import {
  type ChunkMeta,
  INDEX_HEADER,
  MAX_SERIES,
  SECTIONS,
  SERIES_PER_GROUP,
  type SectionName,
  TOC_BYTES,
} from "./index-format.js";
import { PendingSeries } from "./pending-series.js";
import { encodePostings } from "./postings-codec.js";
import { ByteWriter } from "./varint.js";

const POSTINGS_BATCH_IDS = 1 << 20;
/** Matches a UTF-16 surrogate that is not half of a pair: a string UTF-8 cannot hold. */
const LONE_SURROGATE = /\p{Cs}/u;
const TWO_32 = 4294967296;

/** Options of {@link IndexWriter.create}. */
export interface IndexWriterOptions {
  /** `"never"` skips `fsync` (tests and benchmarks only). Default `"always"`. */
  readonly sync?: "always" | "never";
  /**
   * Most postings ids `finish()` holds at once (4 bytes each): the lists are built in batches of
   * label pairs from the kept series, one pass over them per batch. Default 1 Mi (4 MiB).
   */
  readonly postingsBatchIds?: number;
}

/** What {@link IndexWriter.finish} wrote. */
export interface IndexWriteStats {
  /** Number of series. */
  readonly series: number;
  /** Number of distinct strings in the symbol table. */
  readonly symbols: number;
  /** Number of distinct (name, value) pairs, i.e. postings lists. */
  readonly labelPairs: number;
  /** Size of the file, bytes. */
  readonly bytes: number;
  /** Length of each section, bytes. */
  readonly sectionBytes: Readonly<Record<SectionName, number>>;
}

/**
 * Builds the index of one block: call {@link IndexWriter.addSeries} for every series in strictly
 * increasing `Labels.compare` order, then {@link IndexWriter.finish} once (or `abort()`).
 *
 * Memory: the series entries are kept, encoded, until `finish()` (about the size of the finished
 * series section), plus per distinct label pair its strings, two map entries and a counter; `finish`
 * adds a postings batch of at most 1 Mi ids (4 MiB) and a 64 KiB output buffer. Nothing grows with
 * the number of samples. Not safe for concurrent use.
 */
export class IndexWriter {
  readonly #fh: FileHandle;
  readonly #sync: boolean;
  readonly #batchIds: number;
  #closed = false;

  // name → value → provisional pair number (numbered in order of first sight)
  readonly #names = new Map<string, Map<string, number>>();
  #pairCount = 0;
  #pairSeries = new Uint32Array(1024); // series per provisional pair
  #seriesCount = 0;
  #prev: Labels | undefined;
  #prevPairs = new Int32Array(16);
  #curPairs = new Int32Array(16);
  #prevSize = 0;
  // chunk 0 of the last series of the current group that had chunks (all 0 at a group's start)
  #prevMinT = 0;
  #prevDur = 0;
  #prevRef = 0;
  readonly #entry = new ByteWriter(256);
  readonly #chunks = new ByteWriter(256);
  readonly #pending = new PendingSeries();

  private constructor(
    /** The file being written. */
    readonly path: string,
    fh: FileHandle,
    options: IndexWriterOptions,
  ) {
    this.#fh = fh;
    this.#sync = options.sync !== "never";
    this.#batchIds = Math.max(1, options.postingsBatchIds ?? POSTINGS_BATCH_IDS);
  }

  /** Creates `path` (which must not exist: it is opened with `wx`) and a writer for it. */
  static async create(path: string, options: IndexWriterOptions = {}): Promise<IndexWriter> {
    const fh = await open(path, "wx");
    return new IndexWriter(path, fh, options);
  }

  /** Number of series added so far; the next series gets this id. */
  get seriesCount(): number {
    return this.#seriesCount;
  }

  /**
   * Adds the next series: `labels` must come strictly after the previous series' labels
   * (`Labels.compare`) and hold at least one label; `chunks` must be sorted by time, each with
   * `minT ≤ maxT`, the next starting after the previous ends (`minT > previous maxT`), times safe
   * integers (ms) and refs integers in [0, 2^53). Throws {@link IndexWriteError} otherwise, before
   * changing anything. `labels` (immutable) is kept until the next call; `chunks` is not kept.
   */
  addSeries(labels: Labels, chunks: readonly ChunkMeta[]): void {
    if (this.#closed) throw new IndexWriteError("index_closed", `index writer for ${this.path} is closed`);
    if (labels.size === 0)
      throw new IndexWriteError("index_invalid_series", "a series needs at least one label");
    const prev = this.#prev;
    if (prev !== undefined && Labels.compare(prev, labels) >= 0) {
      throw new IndexWriteError(
        "index_out_of_order",
        `series ${labels.toString()} is not after ${prev.toString()}: series must be added in Labels.compare order, each once`,
      );
    }
    if (this.#seriesCount >= MAX_SERIES) {
      throw new IndexWriteError(
        "index_limit",
        `an index holds at most ${MAX_SERIES} series; split the block`,
      );
    }
    const pairs = labels.pairs;
    for (let i = 0; i < pairs.length; i += 2) {
      const name = pairs[i]!;
      const value = pairs[i + 1]!;
      if (name === "" || value === "") {
        throw new IndexWriteError(
          "index_invalid_series",
          `series ${labels.toString()} has an empty label name or value`,
        );
      }
      // A string seen before was checked then; a new one must survive UTF-8 unchanged.
      if (!this.#names.get(name)?.has(value) && (LONE_SURROGATE.test(name) || LONE_SURROGATE.test(value))) {
        throw new IndexWriteError(
          "index_invalid_series",
          `series ${labels.toString()} has a label that is not valid Unicode (a lone surrogate)`,
        );
      }
    }
    const groupStart = this.#seriesCount % SERIES_PER_GROUP === 0;
    if (groupStart) {
      this.#prevMinT = 0;
      this.#prevDur = 0;
      this.#prevRef = 0;
    }
    this.#encodeChunks(labels, chunks);

    // Valid: from here on nothing throws.
    const n = labels.size;
    if (this.#curPairs.length < n) this.#curPairs = new Int32Array(n * 2);
    const cur = this.#curPairs;
    for (let i = 0; i < n; i++) cur[i] = this.#pairOf(pairs[2 * i]!, pairs[2 * i + 1]!);
    let shared = 0;
    if (!groupStart) {
      const p = this.#prevPairs;
      const max = Math.min(n, this.#prevSize);
      while (shared < max && p[shared] === cur[shared]) shared++;
    }
    const e = this.#entry;
    e.reset();
    const first = chunks[0];
    if (first !== undefined) {
      this.#prevMinT = first.minT;
      this.#prevDur = first.maxT - first.minT;
      this.#prevRef = first.ref;
    }
    e.uvarint(shared);
    e.uvarint(n - shared);
    for (let i = shared; i < n; i++) e.uvarint(cur[i]!);
    e.uvarint(this.#chunks.length);
    e.raw(this.#chunks.bytes());
    this.#pending.append(e.bytes());

    this.#curPairs = this.#prevPairs;
    this.#prevPairs = cur;
    this.#prevSize = n;
    this.#prev = labels;
    this.#seriesCount++;
  }

  /**
   * Writes the file (header, sections, TOC) through a 64 KiB buffer, `fsync`s and closes it. On
   * failure the partial file is removed. Resolves to what was written.
   */
  async finish(): Promise<IndexWriteStats> {
    if (this.#closed) throw new IndexWriteError("index_closed", `index writer for ${this.path} is closed`);
    this.#closed = true;
    try {
      const stats = await this.#write();
      if (this.#sync) await this.#fh.sync();
      await this.#fh.close();
      return stats;
    } catch (err) {
      await this.#fh.close().catch(() => {});
      await rm(this.path, { force: true });
      throw err;
    }
  }

  /** Closes and removes the file without writing it. Safe to call more than once. */
  async abort(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#fh.close();
    await rm(this.path, { force: true });
  }

  /** Encodes `chunks` into `#chunks`, relative to `#prev*`; throws IndexWriteError when they are invalid. */
  #encodeChunks(labels: Labels, chunks: readonly ChunkMeta[]): void {
    const w = this.#chunks;
    w.reset();
    let prev: ChunkMeta | undefined;
    let prevGap = 0;
    try {
      for (const c of chunks) {
        const { minT, maxT, ref } = c;
        if (!Number.isSafeInteger(minT) || !Number.isSafeInteger(maxT) || minT > maxT) {
          throw new RangeError(`chunk [${minT}, ${maxT}] is not a range of integer ms`);
        }
        if (!Number.isSafeInteger(ref) || ref < 0) {
          throw new RangeError(`chunk ref ${ref} is not an integer in [0, 2^53)`);
        }
        if (prev === undefined) {
          w.svarint(minT - this.#prevMinT);
          w.svarint(maxT - minT - this.#prevDur);
          w.svarint(ref - this.#prevRef);
        } else {
          const gap = minT - prev.maxT;
          if (!(gap > 0)) {
            throw new RangeError(
              `chunk [${minT}, ${maxT}] does not start after the previous chunk's end ${prev.maxT}`,
            );
          }
          if (prevGap === 0) w.uvarint(gap);
          else w.svarint(gap - prevGap);
          w.svarint(maxT - minT - (prev.maxT - prev.minT));
          w.svarint(ref - prev.ref);
          prevGap = gap;
        }
        prev = c;
      }
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      throw new IndexWriteError("index_invalid_series", `series ${labels.toString()}: ${err.message}`);
    }
  }

  #pairOf(name: string, value: string): number {
    let values = this.#names.get(name);
    if (values === undefined) {
      values = new Map();
      this.#names.set(name, values);
    }
    let p = values.get(value);
    if (p === undefined) {
      p = this.#pairCount++;
      values.set(value, p);
      if (p === this.#pairSeries.length) {
        const grown = new Uint32Array(p * 2);
        grown.set(this.#pairSeries);
        this.#pairSeries = grown;
      }
    }
    this.#pairSeries[p]!++;
    return p;
  }

  async #write(): Promise<IndexWriteStats> {
    // Final numbering: names, then each name's values, in string order.
    const names = [...this.#names.keys()].sort();
    const pairCount = this.#pairCount;
    const provName = new Uint32Array(pairCount);
    const provOrdinal = new Uint32Array(pairCount);
    const provToPair = new Uint32Array(pairCount);
    const pairToProv = new Uint32Array(pairCount);
    const valueLists: string[][] = [];
    const symbolSet = new Set<string>(names);
    let pair = 0;
    for (let i = 0; i < names.length; i++) {
      const values = this.#names.get(names[i]!)!;
      const sorted = [...values.keys()].sort();
      valueLists.push(sorted);
      for (let j = 0; j < sorted.length; j++) {
        const v = sorted[j]!;
        symbolSet.add(v);
        const prov = values.get(v)!;
        provName[prov] = i;
        provOrdinal[prov] = j;
        provToPair[prov] = pair;
        pairToProv[pair++] = prov;
      }
    }
    const symbols = [...symbolSet].sort();
    symbolSet.clear();
    const symbolNumber = new Map<string, number>();
    for (let k = 0; k < symbols.length; k++) symbolNumber.set(symbols[k]!, k);

    const out = new FileSink(this.#fh);
    out.w.raw(INDEX_HEADER);
    const toc: SectionExtent[] = [];

    // symbols
    out.begin();
    const enc = new TextEncoder();
    let prevBytes = new Uint8Array(0);
    out.w.uvarint(symbols.length);
    for (const s of symbols) {
      const bytes = enc.encode(s);
      let shared = 0;
      const max = Math.min(bytes.length, prevBytes.length);
      while (shared < max && bytes[shared] === prevBytes[shared]) shared++;
      out.w.uvarint(shared);
      out.w.uvarint(bytes.length - shared);
      out.w.raw(bytes, shared);
      prevBytes = bytes;
      await out.maybeFlush();
    }
    toc.push(out.end());

    // labels
    out.begin();
    out.w.uvarint(names.length);
    let prevName = 0;
    for (let i = 0; i < names.length; i++) {
      const sym = symbolNumber.get(names[i]!)!;
      out.w.uvarint(i === 0 ? sym : sym - prevName);
      prevName = sym;
      const values = valueLists[i]!;
      out.w.uvarint(values.length);
      let prevValue = 0;
      for (let j = 0; j < values.length; j++) {
        const v = symbolNumber.get(values[j]!)!;
        out.w.uvarint(j === 0 ? v : v - prevValue);
        prevValue = v;
      }
      await out.maybeFlush();
    }
    toc.push(out.end());
    symbolNumber.clear();

    // series
    out.begin();
    const groupOffsets = new Uint32Array(Math.ceil(this.#seriesCount / SERIES_PER_GROUP));
    const reader = this.#pending.reader(this.path);
    for (let id = 0; reader.next(); id++) {
      const w = out.w;
      if (id % SERIES_PER_GROUP === 0) {
        const at = out.offsetInSection();
        if (at >= TWO_32) throw limit("series section", at);
        groupOffsets[id / SERIES_PER_GROUP] = at;
      }
      w.uvarint(reader.shared);
      w.uvarint(reader.size - reader.shared);
      for (let i = reader.shared; i < reader.size; i++) {
        const prov = reader.pairs[i]!;
        w.uvarint(provName[prov]!);
        w.uvarint(provOrdinal[prov]!);
      }
      w.uvarint(reader.chunksEnd - reader.chunksStart);
      w.raw(reader.page, reader.chunksStart, reader.chunksEnd);
      await out.maybeFlush();
    }
    toc.push(out.end());

    // series offsets
    out.begin();
    for (const o of groupOffsets) {
      out.w.u32(o);
      await out.maybeFlush();
    }
    toc.push(out.end());

    // postings, in batches of pairs whose lists together hold at most #batchIds ids (or one list)
    out.begin();
    const postingsOffsets = new Uint32Array(pairCount);
    const counts = this.#pairSeries;
    let maxCount = 0;
    let totalIds = 0;
    for (let p = 0; p < pairCount; p++) {
      const c = counts[p]!;
      totalIds += c;
      if (c > maxCount) maxCount = c;
    }
    const ids = new Uint32Array(Math.max(maxCount, Math.min(totalIds, this.#batchIds)));
    const fill = new Uint32Array(pairCount + 1); // start of each pair's slot in `ids` (batch-relative)
    const scratch = new ByteWriter(1024);
    for (let lo = 0; lo < pairCount; ) {
      let hi = lo;
      let used = 0;
      while (hi < pairCount && (hi === lo || used + counts[pairToProv[hi]!]! <= ids.length)) {
        fill[hi] = used;
        used += counts[pairToProv[hi]!]!;
        hi++;
      }
      const r = this.#pending.reader(this.path);
      for (let id = 0; r.next(); id++) {
        for (let i = 0; i < r.size; i++) {
          const p = provToPair[r.pairs[i]!]!;
          if (p >= lo && p < hi) ids[fill[p]!++] = id;
        }
      }
      for (let p = lo; p < hi; p++) {
        const at = out.offsetInSection();
        if (at >= TWO_32) throw limit("postings section", at);
        postingsOffsets[p] = at;
        const end = fill[p]!;
        encodePostings(ids, end - counts[pairToProv[p]!]!, end, out.w, scratch);
        await out.maybeFlush();
      }
      lo = hi;
    }
    toc.push(out.end());

    // postings offsets
    out.begin();
    for (const o of postingsOffsets) {
      out.w.u32(o);
      await out.maybeFlush();
    }
    toc.push(out.end());

    // TOC
    const t = new ByteWriter(TOC_BYTES);
    t.u32(this.#seriesCount);
    for (const s of toc) {
      t.u64(s.offset);
      t.u64(s.length);
      t.u32(s.crc);
    }
    t.u32(crc32c(t.bytes()));
    t.raw(INDEX_HEADER, 0, 4);
    out.w.raw(t.bytes());
    await out.flush();

    const sectionBytes = Object.fromEntries(SECTIONS.map((name, i) => [name, toc[i]!.length])) as Record<
      SectionName,
      number
    >;
    return {
      series: this.#seriesCount,
      symbols: symbols.length,
      labelPairs: pairCount,
      bytes: out.position,
      sectionBytes,
    };
  }
}

function limit(what: string, at: number): IndexWriteError {
  return new IndexWriteError(
    "index_limit",
    `the ${what} of an index would pass 4 GiB (offset ${at}), which its u32 offsets cannot address; split the block`,
  );
}
