import type { SampleIterator } from "../../storage/interface.js";
import { XorChunkIterator } from "../chunk/index.js";

/** A series' out-of-order samples within a read's range: sorted, unique timestamps, a private copy. */
export interface OooSlice {
  readonly ts: Float64Array;
  readonly vs: Float64Array;
}

/**
 * A {@link SampleIterator} over one head series within `[mint, maxt]` (ms, inclusive): its XOR
 * chunks in time order (each one's samples strictly increasing, chunks not overlapping), merged with
 * its out-of-order samples. When both hold a timestamp, the chunk's sample wins. One
 * {@link XorChunkIterator} is reset from chunk to chunk; nothing is allocated per sample. The chunk
 * bytes must not change while the iterator is in use (the head hands it closed chunks and a copy of
 * the open one).
 */
export class HeadSeriesIterator implements SampleIterator {
  /** Current timestamp, ms. */
  t = 0;
  /** Current value, bit for bit. */
  v = 0;
  readonly #it = new XorChunkIterator();
  #ci = 0;
  #aValid = false;
  #advanceA = true;
  #advanceB = false;
  #bi = 0;
  #current = false;
  readonly #bts: Float64Array | undefined;
  readonly #bvs: Float64Array | undefined;
  readonly #bn: number;

  constructor(
    private readonly chunks: readonly Uint8Array[],
    private readonly mint: number,
    private readonly maxt: number,
    ooo?: OooSlice,
  ) {
    this.#bts = ooo?.ts;
    this.#bvs = ooo?.vs;
    this.#bn = ooo?.ts.length ?? 0;
  }

  next(): boolean {
    if (this.#advanceA) this.#nextA();
    if (this.#advanceB) this.#bi++;
    this.#advanceA = false;
    this.#advanceB = false;
    const bOk = this.#bi < this.#bn;
    const it = this.#it;
    if (this.#aValid && (!bOk || it.t <= this.#bts![this.#bi]!)) {
      this.t = it.t;
      this.v = it.v;
      this.#advanceA = true;
      if (bOk && this.#bts![this.#bi] === it.t) this.#advanceB = true;
      this.#current = true;
      return true;
    }
    if (bOk) {
      this.t = this.#bts![this.#bi]!;
      this.v = this.#bvs![this.#bi]!;
      this.#advanceB = true;
      this.#current = true;
      return true;
    }
    this.#current = false;
    return false;
  }

  seek(t: number): boolean {
    if (this.#current && this.t >= t) return true;
    while (this.next()) if (this.t >= t) return true;
    return false;
  }

  /** Moves the chunk stream to its next sample within range, across chunk boundaries. */
  #nextA(): void {
    const it = this.#it;
    for (;;) {
      if (this.#ci > 0 && it.next()) {
        if (it.t < this.mint) continue;
        if (it.t > this.maxt) break;
        this.#aValid = true;
        return;
      }
      if (this.#ci >= this.chunks.length) break;
      it.reset(this.chunks[this.#ci++]!);
    }
    this.#aValid = false;
    this.#ci = this.chunks.length;
    it.reset(EMPTY);
  }
}

const EMPTY = new Uint8Array(0);
