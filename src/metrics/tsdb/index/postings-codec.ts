/**
 * The on-disk form of one postings list (docs/format/index.md, "Postings"): a count, a skip table
 * with one entry per block of 64 runs, then the runs of consecutive ids as varints.
 */
import type { PostingsIterator } from "./postings.js";
import { ByteCursor, type ByteWriter, readU32 } from "./varint.js";

/** Runs per skip block. Part of the format (version 1). */
export const RUNS_PER_BLOCK = 64;

/**
 * Appends the encoding of the strictly increasing ids `ids[from, to)` (at least one) to `out`.
 * `scratch` is a writer the function may use and reset; it keeps no reference to either.
 */
export function encodePostings(
  ids: Uint32Array,
  from: number,
  to: number,
  out: ByteWriter,
  scratch: ByteWriter,
): void {
  scratch.reset();
  const skips: number[] = []; // base, offset, base, offset, …
  let prevEnd = -1;
  let runs = 0;
  let i = from;
  while (i < to) {
    const start = ids[i]!;
    let j = i + 1;
    while (j < to && ids[j]! === ids[j - 1]! + 1) j++;
    const length = j - i;
    if (runs > 0 && runs % RUNS_PER_BLOCK === 0) skips.push(prevEnd + 1, scratch.length);
    const gap = start - prevEnd - 1;
    if (length === 1) scratch.uvarint(gap * 2);
    else {
      scratch.uvarint(gap * 2 + 1);
      scratch.uvarint(length - 2);
    }
    prevEnd = ids[j - 1]!;
    runs++;
    i = j;
  }
  out.uvarint(to - from);
  out.uvarint(skips.length / 2);
  for (const v of skips) out.u32(v);
  out.raw(scratch.bytes());
}

/**
 * A lazy {@link PostingsIterator} over one encoded list in `buf[start, end)` — the reader's view of
 * the file. Decoding a run yields all its ids; `seek` jumps through the skip table, so it costs a
 * binary search and at most 64 run decodes. Bytes that do not decode throw `IndexCorruptedError`.
 */
export class EncodedPostings implements PostingsIterator {
  /** Number of ids in the list (from its header). */
  readonly count: number;
  at = -1;
  readonly #cur: ByteCursor;
  readonly #skipStart: number;
  readonly #skipCount: number;
  readonly #runsStart: number;
  /** Last id of the current run (−1 before the first). */
  #runEnd = -1;
  /** Index of the next run to decode. */
  #nextRun = 0;
  #done = false;

  constructor(buf: Uint8Array, start: number, end: number, file: string) {
    const cur = new ByteCursor(buf, start, end, file, "postings");
    this.count = cur.uvarint();
    this.#skipCount = cur.uvarint();
    this.#skipStart = cur.pos;
    cur.skip(this.#skipCount * 8);
    this.#runsStart = cur.pos;
    this.#cur = cur;
  }

  /**
   * The whole list (from its first id, whatever the position) as a new array of exactly `count`
   * ids: runs are filled in without a call per id. Does not move the iterator.
   */
  toArray(): Uint32Array {
    const out = new Uint32Array(this.count);
    const cur = new ByteCursor(this.#cur.buf, this.#runsStart, this.#cur.end, this.#cur.file, "postings");
    let n = 0;
    let prevEnd = -1;
    while (cur.pos < cur.end) {
      const h = cur.uvarint();
      const bit = h <= 0x7fffffff ? h & 1 : h % 2;
      const start = prevEnd + 1 + (h <= 0x7fffffff ? h >>> 1 : (h - bit) / 2);
      const end = bit === 1 ? start + cur.uvarint() + 1 : start;
      if (end - start >= out.length - n || end > 0xffffffff)
        cur.fail(`more ids than the count ${this.count}`);
      for (let id = start; id <= end; id++) out[n++] = id;
      prevEnd = end;
    }
    if (n !== out.length) cur.fail(`${n} ids where the count says ${this.count}`);
    return out;
  }

  next(): boolean {
    if (this.at < this.#runEnd) {
      this.at++;
      return true;
    }
    return this.#readRun();
  }

  seek(id: number): boolean {
    if (this.#done) return false;
    if (this.at >= id) return true;
    if (id <= this.#runEnd) {
      this.at = id;
      return true;
    }
    this.#jump(id);
    while (this.#runEnd < id) if (!this.#readRun()) return false;
    if (this.at < id) this.at = id;
    return true;
  }

  /** Moves to the start of the last block whose ids may reach `id`, when that block is ahead. */
  #jump(id: number): void {
    const n = this.#skipCount;
    if (n === 0) return;
    const buf = this.#cur.buf;
    const skips = this.#skipStart;
    // Largest b in 1 … n with base(b) ≤ id; base(b) is skip entry b − 1.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (readU32(buf, skips + (mid - 1) * 8) <= id) lo = mid;
      else hi = mid - 1;
    }
    if (lo === 0 || lo * RUNS_PER_BLOCK <= this.#nextRun) return;
    const entry = skips + (lo - 1) * 8;
    const offset = readU32(buf, entry + 4);
    const cur = this.#cur;
    if (offset >= cur.end - this.#runsStart) cur.fail(`skip offset ${offset} past the end of the list`);
    cur.pos = this.#runsStart + offset;
    this.#runEnd = readU32(buf, entry) - 1;
    this.#nextRun = lo * RUNS_PER_BLOCK;
  }

  #readRun(): boolean {
    const cur = this.#cur;
    if (this.#done || cur.pos >= cur.end) {
      this.#done = true;
      return false;
    }
    const h = cur.uvarint();
    // Integer arithmetic while h fits 31 bits, so that no field turns into a heap number.
    const bit = h <= 0x7fffffff ? h & 1 : h % 2;
    const half = h <= 0x7fffffff ? h >>> 1 : (h - bit) / 2;
    const start = this.#runEnd + 1 + half;
    const end = bit === 1 ? start + cur.uvarint() + 1 : start;
    if (end > 0xffffffff) cur.fail(`series id ${end} beyond 2^32`);
    this.at = start;
    this.#runEnd = end;
    this.#nextRun++;
    return true;
  }
}
