import type { Labels } from "../../../model/labels.js";
import type { SampleIterator } from "../interface.js";

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Whether two float64 values have the same bits (so NaN payloads such as the stale marker compare exactly). */
export function sameBits(a: number, b: number): boolean {
  if (a === b) return a !== 0 || 1 / a === 1 / b;
  if (!Number.isNaN(a) || !Number.isNaN(b)) return false;
  f64[0] = a;
  const lo = u32[0];
  const hi = u32[1];
  f64[0] = b;
  return lo === u32[0] && hi === u32[1];
}

/**
 * One series held in memory: its labels and its samples in two growable typed arrays, timestamps
 * strictly increasing. The skeleton's store; the TSDB replaces it with compressed chunks.
 */
export class MemSeries {
  #ts = new Float64Array(16);
  #vs = new Float64Array(16);
  #start = 0;
  #end = 0;

  constructor(
    readonly ref: number,
    readonly labels: Labels,
  ) {}

  /** Number of samples held. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** Timestamp of the newest sample, or -Infinity when empty. */
  get lastT(): number {
    return this.#end > this.#start ? this.#ts[this.#end - 1]! : Number.NEGATIVE_INFINITY;
  }

  /** Value of the newest sample (undefined when empty). */
  get lastV(): number | undefined {
    return this.#end > this.#start ? this.#vs[this.#end - 1] : undefined;
  }

  /** Appends a sample newer than {@link lastT}; the caller checks ordering. */
  push(t: number, v: number): void {
    if (this.#end === this.#ts.length) this.#grow();
    this.#ts[this.#end] = t;
    this.#vs[this.#end] = v;
    this.#end++;
  }

  /** Drops samples older than `mint` (ms). Returns how many were dropped. */
  truncateBefore(mint: number): number {
    const first = lowerBound(this.#ts, this.#start, this.#end, mint);
    const dropped = first - this.#start;
    this.#start = first;
    return dropped;
  }

  /** An iterator over the samples in `[mint, maxt]`. It sees the samples present when it was made. */
  iterator(mint: number, maxt: number): SampleIterator {
    const from = lowerBound(this.#ts, this.#start, this.#end, mint);
    const to = lowerBound(this.#ts, from, this.#end, maxt + 1);
    return new ArrayIterator(this.#ts, this.#vs, from, to);
  }

  #grow(): void {
    const len = this.#end - this.#start;
    const cap = Math.max(16, len * 2);
    const ts = new Float64Array(cap);
    const vs = new Float64Array(cap);
    ts.set(this.#ts.subarray(this.#start, this.#end));
    vs.set(this.#vs.subarray(this.#start, this.#end));
    // Iterators made before keep the old arrays, which stay valid for them.
    this.#ts = ts;
    this.#vs = vs;
    this.#start = 0;
    this.#end = len;
  }
}

/** First index in [lo, hi) whose timestamp is ≥ t. */
function lowerBound(ts: Float64Array, lo: number, hi: number, t: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A {@link SampleIterator} over a slice of two parallel typed arrays. */
export class ArrayIterator implements SampleIterator {
  t = 0;
  v = 0;
  #i: number;

  constructor(
    private readonly ts: Float64Array,
    private readonly vs: Float64Array,
    private readonly from: number,
    private readonly to: number,
  ) {
    this.#i = from - 1;
  }

  next(): boolean {
    if (this.#i + 1 >= this.to) {
      this.#i = this.to;
      return false;
    }
    this.#i++;
    this.t = this.ts[this.#i]!;
    this.v = this.vs[this.#i]!;
    return true;
  }

  seek(t: number): boolean {
    if (this.#i >= this.to) return false;
    if (this.#i >= this.from && this.t >= t) return true;
    this.#i = lowerBound(this.ts, Math.max(this.#i, this.from), this.to, t) - 1;
    return this.next();
  }
}
