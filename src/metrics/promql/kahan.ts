/**
 * Compensated (Kahan–Neumaier) summation, as PromQL uses for `sum`, `avg` and the `*_over_time`
 * functions so that adding many values loses less precision. The compensation is reset when the
 * sum overflows to ±Inf.
 */

/** Adds `inc` to the running sum `sums[i]` with compensation `comps[i]`, in place. */
export function kahanAddAt(sums: Float64Array, comps: Float64Array, i: number, inc: number): void {
  const sum = sums[i]!;
  const t = sum + inc;
  if (t === Number.POSITIVE_INFINITY || t === Number.NEGATIVE_INFINITY) comps[i] = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) comps[i]! += sum - t + inc;
  else comps[i]! += inc - t + sum;
  sums[i] = t;
}

/** A running compensated sum of numbers. */
export class KahanSum {
  sum = 0;
  c = 0;

  /** Starts over from `sum` with no compensation. */
  reset(sum = 0): void {
    this.sum = sum;
    this.c = 0;
  }

  /** Adds `inc`. */
  add(inc: number): void {
    const t = this.sum + inc;
    if (t === Number.POSITIVE_INFINITY || t === Number.NEGATIVE_INFINITY) this.c = 0;
    else if (Math.abs(this.sum) >= Math.abs(inc)) this.c += this.sum - t + inc;
    else this.c += inc - t + this.sum;
    this.sum = t;
  }

  /** The compensated total. */
  value(): number {
    return this.sum + this.c;
  }
}
