/**
 * What a head knows of the appenders writing to it, so that a block range can be read from the head
 * without missing a sample that will still be acknowledged: a fence below which new samples are
 * refused, and the appenders holding samples not yet applied, with the oldest timestamp of each.
 */
export class AppendFence {
  #fence = Number.NEGATIVE_INFINITY;
  readonly #inflight = new Map<object, number>();
  #waiters: { readonly before: number; readonly resolve: () => void }[] = [];

  /** Appends older than this, ms, are refused. −Infinity until {@link raise}d. */
  get at(): number {
    return this.#fence;
  }

  /** Refuses appends older than `t` from now on (never lowered). */
  raise(t: number): void {
    if (t > this.#fence) this.#fence = t;
  }

  /** Notes that `appender` holds unapplied samples, the oldest at `minT`. */
  track(appender: object, minT: number): void {
    this.#inflight.set(appender, minT);
  }

  /** Notes that `appender` holds nothing any more (applied or rolled back). */
  untrack(appender: object): void {
    if (!this.#inflight.delete(appender) || this.#waiters.length === 0) return;
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      if (this.#holdsBefore(w.before)) this.#waiters.push(w);
      else w.resolve();
    }
  }

  /** Resolves when no appender holds an unapplied sample older than `t`. */
  settled(t: number): Promise<void> {
    if (!this.#holdsBefore(t)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ before: t, resolve }));
  }

  #holdsBefore(t: number): boolean {
    for (const minT of this.#inflight.values()) if (minT < t) return true;
    return false;
  }
}
