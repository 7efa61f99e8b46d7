import type { Matcher } from "../../../model/matcher.js";
import type { Querier, SelectHints, Series, SeriesSet } from "../../storage/interface.js";
import { ArraySeriesSet } from "../../storage/series-set.js";
import { XorChunkIterator } from "../chunk/index.js";
import type { IndexReader, SeriesDecoder } from "../index/index.js";
import { BlockError } from "./block-errors.js";
import { BlockSeriesIterator, EMPTY_ITERATOR } from "./block-iterator.js";
import type { BlockMeta } from "./block-meta.js";

/** What a {@link BlockQuerier} reads: an open block (implemented by `Block`). */
export interface BlockData {
  readonly dir: string;
  readonly meta: BlockMeta;
  readonly index: IndexReader;
  readonly closed: boolean;
  /** The data of the chunk at `ref`; throws on damage or after close. */
  chunk(ref: number): Uint8Array;
  /** Whether the block holds any time of the inclusive range `[mint, maxt]`. */
  overlaps(mint: number, maxt: number): boolean;
}

/**
 * Reads one block over `[mint, maxt]` (ms, inclusive) with the head querier's semantics: matchers
 * are answered from the postings; a series is returned only if it has a sample in the range
 * (narrowed by `hints.start`/`end`); series come sorted by labels (ids are in label order);
 * `hints.limit` keeps the first `limit` series and adds a warning; label names and values come only
 * from matching series with a sample in range.
 *
 * Chunks are read only where the chunk metas cannot decide: for a series whose only overlapping
 * chunks start before the range and end after it. Iterators read their chunks lazily; with
 * `hints.labelsOnly` they are empty. `close()` releases nothing (the block owns its files) but
 * makes later calls throw {@link BlockError} `block_closed`.
 */
export class BlockQuerier implements Querier {
  readonly #scratch = new XorChunkIterator();
  #closed = false;

  constructor(
    private readonly block: BlockData,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  async select(matchers: readonly Matcher[], hints?: SelectHints): Promise<SeriesSet> {
    if (matchers.length === 0) throw new Error("select needs at least one matcher");
    const mint = Math.max(this.mint, hints?.start ?? this.mint);
    const maxt = Math.min(this.maxt, hints?.end ?? this.maxt);
    const labelsOnly = hints?.labelsOnly === true;
    const limit = hints?.limit ?? 0;
    const block = this.block;
    const read = (ref: number) => block.chunk(ref);
    const found: Series[] = [];
    let truncated = false;
    this.#forEach(matchers, mint, maxt, (dec, a, b) => {
      if (limit > 0 && found.length === limit) {
        truncated = true;
        return false;
      }
      const labels = dec.labels;
      if (labelsOnly) {
        found.push({ labels, iterator: () => EMPTY_ITERATOR });
      } else {
        const refs = dec.ref.slice(a, b);
        const maxTs = dec.maxT.slice(a, b);
        found.push({ labels, iterator: () => new BlockSeriesIterator(read, refs, maxTs, mint, maxt) });
      }
      return true;
    });
    if (truncated) {
      return new ArraySeriesSet(found, [`results truncated to ${limit} series by the limit parameter`]);
    }
    return new ArraySeriesSet(found);
  }

  async labelNames(matchers: readonly Matcher[]): Promise<string[]> {
    if (matchers.length === 0 && this.#coversBlock()) return this.block.index.labelNames();
    const names = new Set<string>();
    this.#forEach(matchers, this.mint, this.maxt, (dec) => {
      dec.labels.forEach((n) => {
        names.add(n);
      });
      return true;
    });
    return [...names].sort();
  }

  async labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]> {
    if (matchers.length === 0 && this.#coversBlock()) return this.block.index.labelValues(name);
    const values = new Set<string>();
    this.#forEach(matchers, this.mint, this.maxt, (dec) => {
      const v = dec.labels.get(name);
      if (v !== "") values.add(v);
      return true;
    });
    return [...values].sort();
  }

  close(): void {
    this.#closed = true;
  }

  /** Whether the querier's range holds the whole block, so that every series of it has a sample in range. */
  #coversBlock(): boolean {
    const { minTime, maxTime } = this.block.meta;
    this.#check();
    return this.mint <= minTime && maxTime - 1 <= this.maxt;
  }

  #check(): void {
    if (this.#closed) throw new BlockError("block_closed", this.block.dir, "querier used after close()");
    if (this.block.closed) throw new BlockError("block_closed", this.block.dir, "block read after close()");
  }

  /**
   * Calls `fn` for each series satisfying `matchers` (all when empty) with a sample in
   * `[mint, maxt]`, in id (= label) order, with the decoder on the series and `[a, b)` the indexes
   * of its chunks that overlap the range. Stops when `fn` returns false.
   */
  #forEach(
    matchers: readonly Matcher[],
    mint: number,
    maxt: number,
    fn: (dec: SeriesDecoder, a: number, b: number) => boolean,
  ): void {
    this.#check();
    if (mint > maxt || !this.block.overlaps(mint, maxt)) return;
    const index = this.block.index;
    const dec = index.seriesDecoder();
    for (const id of index.postingsForMatchers(matchers)) {
      dec.decode(id);
      const n = dec.chunkCount;
      let a = 0;
      while (a < n && dec.maxT[a]! < mint) a++;
      let b = a;
      while (b < n && dec.minT[b]! <= maxt) b++;
      if (a === b || !this.#hasSample(dec, a, b, mint, maxt)) continue;
      if (!fn(dec, a, b)) return;
    }
  }

  /** Whether chunks `[a, b)` of the decoded series (all overlapping the range) hold a sample in it. */
  #hasSample(dec: SeriesDecoder, a: number, b: number, mint: number, maxt: number): boolean {
    for (let i = a; i < b; i++) {
      // The chunk's first or last sample lies in the range.
      if (dec.minT[i]! >= mint || dec.maxT[i]! <= maxt) return true;
      // It starts before the range and ends after it: only its samples can tell.
      const it = this.#scratch;
      it.reset(this.block.chunk(dec.ref[i]!));
      if (it.seek(mint) && it.t <= maxt) return true;
    }
    return false;
  }
}
