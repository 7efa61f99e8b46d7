/** A slot that never held a series: a probe ends here. */
export const EMPTY_SLOT = -1;
/** A slot whose series was removed: a probe goes on past it, an insert may reuse it. */
const REMOVED_SLOT = -2;
/** Grow when live plus removed slots pass this fraction of the table. */
const MAX_LOAD = 0.6;

/**
 * The head's map from a label-set hash (the 53-bit hash remote-write decoders compute from the raw
 * label bytes, `RawLabels.hash`) to series refs: open addressing with linear probing over two typed
 * arrays, so it costs 12 bytes a slot and no object per series. Different label sets may share a
 * hash; the table keeps them all, and the caller confirms a candidate by comparing labels:
 *
 * ```ts
 * for (let s = index.first(hash); index.refAt(s) !== EMPTY_SLOT; s = index.next(s)) {
 *   if (index.hashAt(s) === hash && matches(index.refAt(s))) …
 * }
 * ```
 *
 * (a removed slot holds a negative ref other than {@link EMPTY_SLOT}; `hashAt` of it never equals
 * a hash looked up, as removed slots keep the hash −1.)
 */
export class SeriesHashIndex {
  #hashes: Float64Array;
  #refs: Int32Array;
  #mask: number;
  #used = 0; // live + removed slots
  #size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity / MAX_LOAD) cap *= 2;
    this.#hashes = new Float64Array(cap);
    this.#refs = new Int32Array(cap).fill(EMPTY_SLOT);
    this.#mask = cap - 1;
  }

  /** Number of series held. */
  get size(): number {
    return this.#size;
  }

  /** The first slot to probe for `hash`. */
  first(hash: number): number {
    // `hash` is a non-negative integer below 2^53: mix its high bits into the slot number too.
    return (hash ^ Math.floor(hash / 4294967296)) & this.#mask;
  }

  /** The slot after `slot`. */
  next(slot: number): number {
    return (slot + 1) & this.#mask;
  }

  /** The ref in `slot`: a series ref (≥ 0), {@link EMPTY_SLOT}, or another negative for a removed one. */
  refAt(slot: number): number {
    return this.#refs[slot]!;
  }

  /** The hash in `slot`. */
  hashAt(slot: number): number {
    return this.#hashes[slot]!;
  }

  /** The ref of a series with `hash` for which `matches(ref)` holds, or -1. */
  find(hash: number, matches: (ref: number) => boolean): number {
    for (let s = this.first(hash); ; s = this.next(s)) {
      const ref = this.#refs[s]!;
      if (ref === EMPTY_SLOT) return -1;
      if (ref >= 0 && this.#hashes[s] === hash && matches(ref)) return ref;
    }
  }

  /** Adds series `ref` (≥ 0) under `hash`. The caller makes sure it is not held already. */
  insert(hash: number, ref: number): void {
    if ((this.#used + 1) / this.#refs.length > MAX_LOAD) this.#rehash();
    for (let s = this.first(hash); ; s = this.next(s)) {
      const r = this.#refs[s]!;
      if (r >= 0) continue;
      if (r === EMPTY_SLOT) this.#used++;
      this.#refs[s] = ref;
      this.#hashes[s] = hash;
      this.#size++;
      return;
    }
  }

  /** Removes series `ref` held under `hash`; false if it was not there. */
  remove(hash: number, ref: number): boolean {
    for (let s = this.first(hash); ; s = this.next(s)) {
      const r = this.#refs[s]!;
      if (r === EMPTY_SLOT) return false;
      if (r === ref && this.#hashes[s] === hash) {
        this.#refs[s] = REMOVED_SLOT;
        this.#hashes[s] = -1;
        this.#size--;
        return true;
      }
    }
  }

  #rehash(): void {
    const oldRefs = this.#refs;
    const oldHashes = this.#hashes;
    let cap = oldRefs.length;
    // Grow unless removed slots alone explain the load; then rebuilding at the same size clears them.
    if ((this.#size + 1) / cap > MAX_LOAD / 2) cap *= 2;
    this.#hashes = new Float64Array(cap);
    this.#refs = new Int32Array(cap).fill(EMPTY_SLOT);
    this.#mask = cap - 1;
    this.#used = 0;
    this.#size = 0;
    for (let s = 0; s < oldRefs.length; s++) {
      const ref = oldRefs[s]!;
      if (ref >= 0) this.insert(oldHashes[s]!, ref);
    }
  }
}
