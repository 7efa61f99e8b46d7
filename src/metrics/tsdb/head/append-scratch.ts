import { RecordBuffer, SampleBatch } from "../wal/index.js";

const EMPTY = -1;

/**
 * The working memory of one appender, reused from batch to batch (see {@link ScratchPool}) so that
 * a request of thousands of samples allocates nothing that grows with it once the pool is warm:
 * per-handle columns (the head's ref, newest timestamp, index of the newest sample in the batch),
 * the sample batch, the buffer its WAL record is encoded into, and a head-ref → handle table
 * (open addressing over `Int32Array`s, instead of a `Map` of thousands of entries per request).
 */
export class AppendScratch {
  ref = new Int32Array(256);
  lastT = new Float64Array(256);
  lastIdx = new Int32Array(256);
  readonly batch = new SampleBatch(256);
  readonly record = new RecordBuffer(4096);
  #keys = new Int32Array(1024).fill(EMPTY);
  #vals = new Int32Array(1024);
  #size = 0;

  /** The handle of head ref `ref`, or −1. */
  handleOf(ref: number): number {
    const keys = this.#keys;
    const mask = keys.length - 1;
    for (let s = Math.imul(ref, 0x9e3779b1) & mask; ; s = (s + 1) & mask) {
      const k = keys[s]!;
      if (k === ref) return this.#vals[s]!;
      if (k === EMPTY) return -1;
    }
  }

  /** Records that head ref `ref` (not held yet) has handle `h`. */
  setHandle(ref: number, h: number): void {
    if ((this.#size + 1) * 2 > this.#keys.length) this.#rehash(this.#keys.length * 2);
    const keys = this.#keys;
    const mask = keys.length - 1;
    let s = Math.imul(ref, 0x9e3779b1) & mask;
    while (keys[s] !== EMPTY) s = (s + 1) & mask;
    keys[s] = ref;
    this.#vals[s] = h;
    this.#size++;
  }

  /** Makes room for handle `h` in the columns. */
  reserve(h: number): void {
    if (h < this.ref.length) return;
    const cap = Math.max(h + 1, this.ref.length * 2);
    const ref = new Int32Array(cap);
    ref.set(this.ref);
    const lastT = new Float64Array(cap);
    lastT.set(this.lastT);
    const lastIdx = new Int32Array(cap);
    lastIdx.set(this.lastIdx);
    this.ref = ref;
    this.lastT = lastT;
    this.lastIdx = lastIdx;
  }

  /** Empties everything for the next appender, keeping the memory. */
  reset(): void {
    this.batch.clear();
    if (this.#size > 0) this.#keys.fill(EMPTY);
    this.#size = 0;
  }

  #rehash(cap: number): void {
    const keys = this.#keys;
    const vals = this.#vals;
    this.#keys = new Int32Array(cap).fill(EMPTY);
    this.#vals = new Int32Array(cap);
    this.#size = 0;
    for (let s = 0; s < keys.length; s++) if (keys[s] !== EMPTY) this.setHandle(keys[s]!, vals[s]!);
  }
}

/** Scratches kept for reuse; a few more than the appenders usually at work at once. */
const POOL_SIZE = 8;
/** The largest batch capacity a pooled scratch may keep, samples. */
const MAX_POOLED_SAMPLES = 1 << 16;

/** A small free list of {@link AppendScratch}es, one per head. */
export class ScratchPool {
  readonly #free: AppendScratch[] = [];

  acquire(): AppendScratch {
    return this.#free.pop() ?? new AppendScratch();
  }

  /** Returns `s`, which its appender no longer uses (its batch and record were consumed). */
  release(s: AppendScratch): void {
    // A scratch grown by a huge batch is let go rather than held for good.
    if (this.#free.length >= POOL_SIZE || s.batch.refs.length > MAX_POOLED_SAMPLES) return;
    s.reset();
    this.#free.push(s);
  }
}
