import type { SampleIterator } from "../../storage/interface.js";

/**
 * Merges the samples of one series from several sources into one stream in increasing time order.
 * When several sources hold a sample at the same timestamp, the one from the source with the
 * **highest index** in `sources` wins and the others are dropped (callers order sources from the
 * oldest block to the newest, so the block written last wins). Nothing is allocated per sample;
 * values are copied bit for bit.
 */
export class MergeSampleIterator implements SampleIterator {
  /** Current timestamp, ms. */
  t = 0;
  /** Current value. */
  v = 0;
  readonly #its: readonly SampleIterator[];
  /** Whether source i has a current sample. */
  readonly #ok: Uint8Array;
  #started = false;
  #current = false;

  constructor(sources: readonly SampleIterator[]) {
    this.#its = sources;
    this.#ok = new Uint8Array(sources.length);
  }

  next(): boolean {
    const its = this.#its;
    const ok = this.#ok;
    if (!this.#started) {
      this.#started = true;
      for (let i = 0; i < its.length; i++) ok[i] = its[i]!.next() ? 1 : 0;
    } else if (this.#current) {
      // Every source positioned on the sample just returned (the winner and its duplicates) moves on.
      const t = this.t;
      for (let i = 0; i < its.length; i++) if (ok[i] && its[i]!.t === t) ok[i] = its[i]!.next() ? 1 : 0;
    }
    return this.#pick();
  }

  seek(t: number): boolean {
    if (this.#current && this.t >= t) return true;
    const its = this.#its;
    const ok = this.#ok;
    if (!this.#started) {
      this.#started = true;
      for (let i = 0; i < its.length; i++) ok[i] = its[i]!.seek(t) ? 1 : 0;
    } else {
      for (let i = 0; i < its.length; i++) if (ok[i] && its[i]!.t < t) ok[i] = its[i]!.seek(t) ? 1 : 0;
    }
    return this.#pick();
  }

  /** Makes the earliest current sample (the highest source among equal timestamps) the current one. */
  #pick(): boolean {
    const its = this.#its;
    const ok = this.#ok;
    let best = -1;
    let bestT = 0;
    for (let i = 0; i < its.length; i++) {
      if (!ok[i]) continue;
      const t = its[i]!.t;
      if (best < 0 || t <= bestT) {
        best = i;
        bestT = t;
      }
    }
    if (best < 0) {
      this.#current = false;
      return false;
    }
    this.t = bestT;
    this.v = its[best]!.v;
    this.#current = true;
    return true;
  }
}
