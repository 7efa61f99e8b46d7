/**
 * Samples of many series taken in log order and handed back series by series: every series' samples
 * as one run, still in log order, series in ascending ref order. WAL replay applies SAMPLES records
 * through it: a record holds one sample each of thousands of series, so applying it as logged
 * touches a different series — its columns, its open chunk and that chunk's buffer, all far apart
 * in memory — at every sample, while a run appends many samples to one chunk that stays in the
 * cache (see `replay.bench.ts`). Reordering is only exact for samples whose effect depends on
 * their own series alone: the head decides which go here.
 *
 * Memory: 36 bytes per sample of {@link capacity}, plus 4 bytes per ref, kept between batches.
 */
export class SeriesRuns {
  /** Samples held. */
  length = 0;
  /** After {@link drain} groups them: timestamps (ms) by run; valid inside the `run` callback. */
  ts: Float64Array;
  /** After {@link drain} groups them: values by run (bits kept); valid inside the `run` callback. */
  values: Float64Array;
  #refs: Int32Array;
  #inTs: Float64Array;
  #inValues: Float64Array;
  /** Per ref: samples held, then (while draining) where its run ends. */
  #counts = new Int32Array(1024);
  #maxRef = -1;

  /** `capacity`: the most samples held before the caller must {@link drain} (see {@link full}). */
  constructor(readonly capacity = 1 << 20) {
    if (!(Number.isSafeInteger(capacity) && capacity > 0)) {
      throw new RangeError(`SeriesRuns capacity ${capacity} is not a positive integer`);
    }
    const n = Math.min(capacity, 4096);
    this.#refs = new Int32Array(n);
    this.#inTs = new Float64Array(n);
    this.#inValues = new Float64Array(n);
    this.ts = new Float64Array(n);
    this.values = new Float64Array(n);
  }

  /** Whether {@link capacity} samples are held: drain before the next push. */
  get full(): boolean {
    return this.length >= this.capacity;
  }

  /**
   * Adds the sample `(t, vs[i])` of series `ref` (a non-negative int32), after the ones held. Throws
   * if {@link full}.
   */
  push(ref: number, t: number, vs: Float64Array, i: number): void {
    const k = this.length;
    if (k === this.#refs.length) this.#grow();
    if (ref >= this.#counts.length) this.#growCounts(ref + 1);
    this.#refs[k] = ref;
    this.#inTs[k] = t;
    // Float64Array to Float64Array: the bits, NaN payloads included, are kept.
    this.#inValues[k] = vs[i]!;
    this.#counts[ref]!++;
    if (ref > this.#maxRef) this.#maxRef = ref;
    this.length = k + 1;
  }

  /**
   * Calls `run(ref, from, to)` for every series with samples held, in ascending ref order: its
   * samples are `ts[from, to)` and `values[from, to)`, in the order they were pushed. Then holds
   * nothing. `run` must not push.
   */
  drain(run: (ref: number, from: number, to: number) => void): void {
    const n = this.length;
    if (n === 0) return;
    const counts = this.#counts;
    const maxRef = this.#maxRef;
    // Counting sort, stable: counts become the start of each run, then (after the scatter) its end.
    let at = 0;
    for (let r = 0; r <= maxRef; r++) {
      const c = counts[r]!;
      counts[r] = at;
      at += c;
    }
    const refs = this.#refs;
    const inTs = this.#inTs;
    const inValues = this.#inValues;
    const ts = this.ts;
    const values = this.values;
    for (let k = 0; k < n; k++) {
      const j = counts[refs[k]!]!++;
      ts[j] = inTs[k]!;
      values[j] = inValues[k]!;
    }
    this.length = 0;
    this.#maxRef = -1;
    let from = 0;
    try {
      for (let r = 0; r <= maxRef; r++) {
        const to = counts[r]!;
        if (to === from) continue;
        run(r, from, to);
        from = to;
      }
    } finally {
      counts.fill(0, 0, maxRef + 1);
    }
  }

  #grow(): void {
    if (this.length >= this.capacity) {
      throw new Error(`SeriesRuns: ${this.capacity} samples held; drain them before pushing more`);
    }
    const cap = Math.min(this.capacity, this.#refs.length * 2);
    const refs = new Int32Array(cap);
    refs.set(this.#refs);
    const ts = new Float64Array(cap);
    ts.set(this.#inTs);
    const values = new Float64Array(cap);
    values.set(this.#inValues);
    this.#refs = refs;
    this.#inTs = ts;
    this.#inValues = values;
    this.ts = new Float64Array(cap);
    this.values = new Float64Array(cap);
  }

  #growCounts(need: number): void {
    if (need > 0x7fffffff) throw new RangeError(`SeriesRuns: series ref ${need - 1} is not an int32`);
    let cap = this.#counts.length * 2;
    while (cap < need) cap *= 2;
    const counts = new Int32Array(cap);
    counts.set(this.#counts);
    this.#counts = counts;
  }
}
