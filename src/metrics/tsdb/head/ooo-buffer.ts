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

  /** The oldest timestamp held, ms; +Infinity when empty. */
  get minT(): number {
    return this.#n === 0 ? Number.POSITIVE_INFINITY : this.#ts[0]!;
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

  /**
   * Removes the samples older than `t` (ms) and returns how many went. Shrinks the arrays when
   * most of their room is unused, so a truncated buffer gives its memory back.
   */
  dropBefore(t: number): number {
    const k = lowerBound(this.#ts, 0, this.#n, t);
    if (k === 0) return 0;
    const n = this.#n - k;
    if (n * 4 < this.#ts.length && this.#ts.length > 4) {
      const cap = Math.max(4, n * 2);
      const ts = new Float64Array(cap);
      const vs = new Float64Array(cap);
      ts.set(this.#ts.subarray(k, this.#n));
      vs.set(this.#vs.subarray(k, this.#n)); // typed array to typed array: NaN bits are kept
      this.#ts = ts;
      this.#vs = vs;
    } else {
      this.#ts.copyWithin(0, k, this.#n);
      this.#vs.copyWithin(0, k, this.#n);
    }
    this.#n = n;
    return k;
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
