/** Slack for floating-point rounding of refills, in tokens. */
const EPSILON = 1e-9;

/**
 * A token bucket: `rate` tokens per second flow into a bucket holding at most `burst`; a request
 * takes as many tokens as it carries units (samples, log bytes). Time is passed in by the caller
 * (Unix milliseconds), so the bucket keeps no clock of its own and tests need no timers.
 *
 * A request larger than the whole burst could never fit. Rather than refusing it for good, the
 * bucket admits it when it is full and lets the balance go negative (debt): the next requests wait
 * until the debt is paid back at `rate`. A sender is never stuck, and over time it still gets no
 * more than `rate` (docs/adr/0012-gateway-limits-and-flows.md).
 */
export class TokenBucket {
  #rate = 0;
  #burst = 0;
  #tokens = 0;
  #at = 0;

  /** A bucket refilled at `rate` per second up to `burst`, full at `nowMs`. See {@link configure}. */
  constructor(rate: number, burst: number, nowMs: number) {
    this.configure(rate, burst, nowMs);
    this.#tokens = this.#burst;
  }

  /**
   * Changes the limits. `rate` 0 means unlimited (every take succeeds); `burst` 0 with a positive
   * rate means one second's worth (`max(1, rate)`). Tokens held are kept, down to the new burst;
   * a bucket that was unlimited starts full.
   */
  configure(rate: number, burst: number, nowMs: number): void {
    if (!(rate >= 0) || !(burst >= 0))
      throw new RangeError(`token bucket: bad rate ${rate} or burst ${burst}`);
    const effectiveBurst = rate === 0 ? 0 : burst > 0 ? burst : Math.max(1, rate);
    if (rate === this.#rate && effectiveBurst === this.#burst) return;
    this.#refill(nowMs);
    const wasUnlimited = this.#rate === 0;
    this.#rate = rate;
    this.#burst = effectiveBurst;
    this.#tokens = wasUnlimited ? effectiveBurst : Math.min(this.#tokens, effectiveBurst);
  }

  /** Whether the bucket limits anything (a positive rate). */
  get limited(): boolean {
    return this.#rate > 0;
  }

  /** Refill rate, per second (0: unlimited). */
  get rate(): number {
    return this.#rate;
  }

  /** Bucket size in tokens (0 when unlimited). */
  get burst(): number {
    return this.#burst;
  }

  /** Tokens available at `nowMs`; negative while a request larger than the burst is being paid back. */
  tokens(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  /**
   * Takes `n` tokens at `nowMs`. Returns 0 when taken, else the milliseconds until the same
   * request would be admitted (nothing is taken then). A request of more than `burst` is taken
   * only from a full bucket.
   */
  take(n: number, nowMs: number): number {
    if (this.#rate === 0 || n <= 0) return 0;
    this.#refill(nowMs);
    const need = Math.min(n, this.#burst);
    if (this.#tokens + EPSILON >= need) {
      this.#tokens -= n;
      return 0;
    }
    let waitMs = Math.max(1, Math.ceil(((need - this.#tokens) / this.#rate) * 1000));
    // Refilling by that many ms must reach `need` despite rounding, so that the retry is admitted.
    while (this.#tokens + (waitMs / 1000) * this.#rate + EPSILON < need) waitMs++;
    return waitMs;
  }

  /** Gives back `n` tokens taken for a request that was not kept after all (up to the burst). */
  refund(n: number, nowMs: number): void {
    if (this.#rate === 0 || n <= 0) return;
    this.#refill(nowMs);
    this.#tokens = Math.min(this.#burst, this.#tokens + n);
  }

  #refill(nowMs: number): void {
    // A clock that steps backwards adds nothing (and does not move the reference point back).
    if (nowMs > this.#at) {
      if (this.#rate > 0)
        this.#tokens = Math.min(this.#burst, this.#tokens + ((nowMs - this.#at) / 1000) * this.#rate);
      this.#at = nowMs;
    }
  }
}
