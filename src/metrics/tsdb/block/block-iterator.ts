import type { SampleIterator } from "../../storage/interface.js";
import { XorChunkIterator } from "../chunk/index.js";

/** Reads a chunk's data by reference (a block's chunk files). */
export type ChunkSource = (ref: number) => Uint8Array;

/**
 * A {@link SampleIterator} over the chunks of one block series within `[mint, maxt]` (ms,
 * inclusive). Chunks are read and decoded one at a time, when the iteration reaches them; `seek`
 * skips, without reading them, the chunks that end before its target. One {@link XorChunkIterator}
 * is reset from chunk to chunk; nothing is allocated per sample. Read errors (`ChunkFileError` for
 * a damaged chunk) are thrown from `next`/`seek`.
 */
export class BlockSeriesIterator implements SampleIterator {
  /** Current timestamp, ms. */
  t = 0;
  /** Current value, bit for bit. */
  v = 0;
  readonly #it = new XorChunkIterator();
  /** The next chunk to open. */
  #ci = 0;
  /** Whether `#it` is on a chunk that may hold more samples. */
  #open = false;
  #current = false;

  /**
   * `refs` and `maxTs` (owned by the iterator's creator, never changed) give the series' chunks
   * that overlap the range, in time order: their references and last timestamps.
   */
  constructor(
    private readonly read: ChunkSource,
    private readonly refs: Float64Array,
    private readonly maxTs: Float64Array,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  next(): boolean {
    const it = this.#it;
    for (;;) {
      if (this.#open && it.next()) {
        if (it.t < this.mint) continue;
        if (it.t > this.maxt) break;
        return this.#take();
      }
      if (this.#ci >= this.refs.length) break;
      it.reset(this.read(this.refs[this.#ci++]!));
      this.#open = true;
    }
    return this.#end();
  }

  seek(t: number): boolean {
    if (this.#current && this.t >= t) return true;
    const target = Math.max(t, this.mint);
    // Skip the chunks (the current one included) that end before the target.
    const cur = this.#ci - 1;
    if (!this.#open || (cur >= 0 && this.maxTs[cur]! < target)) {
      let ci = this.#ci;
      while (ci < this.refs.length && this.maxTs[ci]! < target) ci++;
      this.#ci = ci;
      this.#open = false;
    }
    const it = this.#it;
    for (;;) {
      if (this.#open && it.seek(target)) {
        if (it.t > this.maxt) break;
        return this.#take();
      }
      if (this.#ci >= this.refs.length) break;
      it.reset(this.read(this.refs[this.#ci++]!));
      this.#open = true;
    }
    return this.#end();
  }

  #take(): true {
    this.t = this.#it.t;
    this.v = this.#it.v;
    this.#current = true;
    return true;
  }

  #end(): false {
    this.#open = false;
    this.#ci = this.refs.length;
    this.#current = false;
    return false;
  }
}

/** An iterator with no samples (the series of a `labelsOnly` selection). */
export const EMPTY_ITERATOR: SampleIterator = {
  t: 0,
  v: 0,
  next: () => false,
  seek: () => false,
};
