import type { Labels } from "../../model/labels.js";

/**
 * A bounded FIFO of samples between scraping and sending. Values live in a Float64Array (never a
 * plain array, which would lose the stale marker's NaN payload). When full, the oldest samples are
 * dropped and counted; the disk-backed queue of the agent issue replaces this.
 */
export class SampleQueue {
  #labels: (Labels | undefined)[];
  #ts: Float64Array;
  #vs: Float64Array;
  #head = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#labels = new Array(capacity);
    this.#ts = new Float64Array(capacity);
    this.#vs = new Float64Array(capacity);
  }

  /** Samples waiting. */
  get size(): number {
    return this.#size;
  }

  /** Adds a sample; returns how many old samples were dropped to make room (0 or 1). */
  push(labels: Labels, t: number, v: number): number {
    let dropped = 0;
    if (this.#size === this.capacity) {
      this.#drop(1);
      dropped = 1;
    }
    const i = (this.#head + this.#size) % this.capacity;
    this.#labels[i] = labels;
    this.#ts[i] = t;
    this.#vs[i] = v;
    this.#size++;
    return dropped;
  }

  /** Calls `fn` for up to `n` samples from the front, without removing them. Returns how many. */
  peek(n: number, fn: (labels: Labels, t: number, v: number) => void): number {
    const count = Math.min(n, this.#size);
    for (let k = 0; k < count; k++) {
      const i = (this.#head + k) % this.capacity;
      fn(this.#labels[i]!, this.#ts[i]!, this.#vs[i]!);
    }
    return count;
  }

  /** Removes `n` samples from the front (after they were sent or given up on). */
  shift(n: number): void {
    this.#drop(Math.min(n, this.#size));
  }

  /** Timestamp of the oldest sample waiting, or undefined when empty. */
  oldestTimestamp(): number | undefined {
    return this.#size > 0 ? this.#ts[this.#head] : undefined;
  }

  #drop(n: number): void {
    for (let k = 0; k < n; k++) this.#labels[(this.#head + k) % this.capacity] = undefined;
    this.#head = (this.#head + n) % this.capacity;
    this.#size -= n;
  }
}
