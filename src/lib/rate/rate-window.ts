/**
 * A per-second rate over a sliding window, kept as counts in fixed time buckets (no object per
 * event). `add(n, now)` records n events; `perSecond(now)` averages over the last full window.
 */
export class RateWindow {
  readonly #counts: Float64Array;
  readonly #bucketMs: number;
  #headBucket = 0;

  constructor(
    readonly windowMs = 60_000,
    buckets = 12,
  ) {
    this.#counts = new Float64Array(buckets);
    this.#bucketMs = windowMs / buckets;
  }

  /** Records `n` events at `nowMs`. */
  add(n: number, nowMs: number): void {
    this.#advance(nowMs);
    this.#counts[this.#headBucket % this.#counts.length]! += n;
  }

  /** Events per second over the window ending at `nowMs`. */
  perSecond(nowMs: number): number {
    this.#advance(nowMs);
    let sum = 0;
    for (const c of this.#counts) sum += c;
    return sum / (this.windowMs / 1000);
  }

  #advance(nowMs: number): void {
    const bucket = Math.floor(nowMs / this.#bucketMs);
    if (bucket <= this.#headBucket) return;
    const n = this.#counts.length;
    for (let b = Math.max(this.#headBucket + 1, bucket - n + 1); b <= bucket; b++) this.#counts[b % n] = 0;
    this.#headBucket = bucket;
  }
}
