import type { Labels } from "../../model/labels.js";
import { STALE_NAN_BITS } from "../../model/stale.js";
import type { SampleBatch } from "../sample-batch.js";

/**
 * Collects one scrape's samples into reusable typed arrays, so a steady target allocates no arrays
 * per scrape. {@link view} hands them out as a {@link SampleBatch}; the next {@link reset} reuses
 * them, which the {@link BatchSink} contract allows.
 */
export class BatchBuilder {
  #labels: Labels[] = [];
  #timestamps = new Float64Array(64);
  #values = new Float64Array(64);
  #bits = new BigUint64Array(this.#values.buffer);
  #length = 0;

  /** Samples collected since the last reset. */
  get length(): number {
    return this.#length;
  }

  /** Starts a new batch. */
  reset(): void {
    this.#length = 0;
  }

  /** Drops the samples after the first `n` (a failed scrape discards what it parsed). */
  truncate(n: number): void {
    if (n < this.#length) this.#length = n;
  }

  /** Appends a sample; `t` is Unix ms. */
  push(labels: Labels, t: number, v: number): void {
    const i = this.#reserve();
    this.#labels[i] = labels;
    this.#timestamps[i] = t;
    this.#values[i] = v;
  }

  /** Appends a stale marker, written as raw bits so that no NaN canonicalisation can touch it. */
  pushStale(labels: Labels, t: number): void {
    const i = this.#reserve();
    this.#labels[i] = labels;
    this.#timestamps[i] = t;
    this.#bits[i] = STALE_NAN_BITS;
  }

  /** The collected samples; valid until the next {@link reset} or push. */
  view(): SampleBatch {
    const n = this.#length;
    this.#labels.length = n;
    return {
      length: n,
      labels: this.#labels,
      timestamps: this.#timestamps.subarray(0, n),
      values: this.#values.subarray(0, n),
      source: this,
    };
  }

  #reserve(): number {
    const i = this.#length;
    if (i === this.#timestamps.length) {
      const ts = new Float64Array(i * 2);
      ts.set(this.#timestamps);
      const vs = new Float64Array(i * 2);
      vs.set(this.#values);
      this.#timestamps = ts;
      this.#values = vs;
      this.#bits = new BigUint64Array(vs.buffer);
    }
    this.#length = i + 1;
    return i;
  }
}
