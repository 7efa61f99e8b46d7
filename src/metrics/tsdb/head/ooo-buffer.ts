const f64 = new Float64Array(2);
const u32 = new Uint32Array(f64.buffer);

/**
 * Whether the float64s at `a[i]` and `b[j]` have the same 64 bits (NaN payloads compared exactly).
 * Reads through typed arrays only, so no NaN is canonicalised on the way.
 */
export function sameBitsAt(a: Float64Array, i: number, b: Float64Array, j: number): boolean {
  f64[0] = a[i]!;
  f64[1] = b[j]!;
  return u32[0] === u32[2] && u32[1] === u32[3];
}

/** What {@link OooBuffer.insert} did with a sample. */
export type OooInsert = "added" | "same" | "conflict";

/**
 * A series' out-of-order samples: two parallel typed arrays sorted by timestamp, unique timestamps.
 * Kept small by the out-of-order window; insertion moves the tail (fine for the few late samples a
 * series gets). Reads take a copy of a range ({@link slice}), so later inserts never disturb them.
 */
export class OooBuffer {
  #ts = new Float64Array(4);
  #vs = new Float64Array(4);
  #n = 0;

  /** Samples held. */
  get length(): number {
    return this.#n;
  }

  /**
   * Inserts `(t, vs[at])` (the value is passed by position so its bits never leave typed arrays):
   * "added", "same" when the timestamp is there with the same bits (a no-op), "conflict" when it is
   * there with other bits (nothing changes).
   */
  insert(t: number, vs: Float64Array, at: number): OooInsert {
    const i = lowerBound(this.#ts, 0, this.#n, t);
    if (i < this.#n && this.#ts[i] === t) return sameBitsAt(this.#vs, i, vs, at) ? "same" : "conflict";
    if (this.#n === this.#ts.length) {
      const ts = new Float64Array(this.#n * 2);
      const nv = new Float64Array(this.#n * 2);
      ts.set(this.#ts);
      nv.set(this.#vs);
      this.#ts = ts;
      this.#vs = nv;
    }
    this.#ts.copyWithin(i + 1, i, this.#n);
    this.#vs.copyWithin(i + 1, i, this.#n);
    this.#ts[i] = t;
    this.#vs[i] = vs[at]!;
    this.#n++;
    return "added";
  }

  /** Copies of the samples in `[mint, maxt]` (ms, inclusive), or undefined when there are none. */
  slice(mint: number, maxt: number): { ts: Float64Array; vs: Float64Array } | undefined {
    const from = lowerBound(this.#ts, 0, this.#n, mint);
    const to = lowerBound(this.#ts, from, this.#n, maxt + 1);
    if (from === to) return undefined;
    return { ts: this.#ts.slice(from, to), vs: this.#vs.slice(from, to) };
  }
}

/** First index in [lo, hi) whose timestamp is ≥ t. */
export function lowerBound(ts: Float64Array, lo: number, hi: number, t: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (ts[mid]! < t) a = mid + 1;
    else b = mid;
  }
  return a;
}
