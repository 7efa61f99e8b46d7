/**
 * Sorted postings — series ids in increasing order — and the set operations a querier needs:
 * intersect, subtract and k-way union. Lists are `Uint32Array`s or pull iterators with `seek`;
 * nothing allocates per id.
 */

/**
 * A pull iterator over strictly increasing series ids. After `next()` or `seek()` returns true,
 * `at` holds the current id; no object is made per id.
 */
export interface PostingsIterator {
  /** Moves to the next id; false at the end (and from then on). */
  next(): boolean;
  /**
   * Moves to the first id ≥ `id`, never backwards: if the current id is already ≥ `id` it stays.
   * False if there is none (and from then on).
   */
  seek(id: number): boolean;
  /** The current id. Valid only after next()/seek() returned true. */
  readonly at: number;
}

/** A {@link PostingsIterator} over a sorted `Uint32Array` it borrows; `seek` gallops. */
export class ArrayPostings implements PostingsIterator {
  #i = -1;
  at = -1;

  /** `ids` must be strictly increasing and must not change while iterated. */
  constructor(readonly ids: Uint32Array) {}

  next(): boolean {
    const i = ++this.#i;
    if (i >= this.ids.length) {
      this.#i = this.ids.length;
      return false;
    }
    this.at = this.ids[i]!;
    return true;
  }

  seek(id: number): boolean {
    const ids = this.ids;
    let i = this.#i < 0 ? 0 : this.#i;
    if (i >= ids.length) return false;
    if (ids[i]! >= id) {
      this.#i = i;
      this.at = ids[i]!;
      return true;
    }
    i = gallop(ids, i + 1, ids.length, id);
    this.#i = i;
    if (i >= ids.length) return false;
    this.at = ids[i]!;
    return true;
  }
}

/** The empty list. */
export const EMPTY_POSTINGS: PostingsIterator = Object.freeze({
  next: () => false,
  seek: () => false,
  at: -1,
});

/** A new array of the ids `0 … n−1`: every series of an index. */
export function allPostings(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/**
 * Drains `it` (from its current position: ids before it are not included) into a new array.
 * `sizeHint` is the expected number of ids; the array grows past it if needed.
 */
export function collect(it: PostingsIterator, sizeHint = 16): Uint32Array {
  let out = new Uint32Array(Math.max(1, sizeHint));
  let n = 0;
  while (it.next()) {
    if (n === out.length) {
      const grown = new Uint32Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = it.at;
  }
  return n === out.length ? out : out.slice(0, n);
}

/**
 * The ids in both `a` and `b`, as a new array. Walks `a` and seeks `b`; when `b` jumps ahead, `a`
 * gallops after it, so the cost is about `min(|a|, |b|) · log(ratio)` — small when either is short.
 * `b` is consumed.
 */
export function intersect(a: Uint32Array, b: PostingsIterator): Uint32Array {
  const out = new Uint32Array(a.length);
  let n = 0;
  let i = 0;
  while (i < a.length) {
    const x = a[i]!;
    if (!b.seek(x)) break;
    const y = b.at;
    if (y === x) {
      out[n++] = x;
      i++;
    } else {
      i = gallop(a, i + 1, a.length, y);
    }
  }
  return out.subarray(0, n);
}

/** The ids of `a` that are not in `b`, as a new array. `b` is consumed. */
export function subtract(a: Uint32Array, b: PostingsIterator): Uint32Array {
  const out = new Uint32Array(a.length);
  let n = 0;
  let i = 0;
  for (; i < a.length; i++) {
    const x = a[i]!;
    if (!b.seek(x)) break;
    if (b.at !== x) out[n++] = x;
  }
  for (; i < a.length; i++) out[n++] = a[i]!;
  return out.subarray(0, n);
}

/**
 * The ids in any of `lists`, sorted and without repeats, as a new array (an input may be
 * returned as is when it is the only non-empty one). Two lists merge directly; more go through a
 * binary heap of list heads (`O(total · log k)`).
 */
export function union(lists: readonly Uint32Array[]): Uint32Array {
  const live = lists.filter((l) => l.length > 0);
  if (live.length === 0) return new Uint32Array(0);
  if (live.length === 1) return live[0]!;
  if (live.length === 2) return merge2(live[0]!, live[1]!);
  let total = 0;
  for (const l of live) total += l.length;
  const out = new Uint32Array(total);
  const k = live.length;
  // heap[0 … size) holds list indexes ordered by their current head, pos[l] is list l's cursor.
  const heap = new Int32Array(k);
  const pos = new Int32Array(k);
  const head = (l: number): number => live[l]![pos[l]!]!;
  let size = 0;
  const down = (from: number): void => {
    let i = from;
    const l = heap[i]!;
    const v = head(l);
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && head(heap[c + 1]!) < head(heap[c]!)) c++;
      if (head(heap[c]!) >= v) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = l;
  };
  for (let l = 0; l < k; l++) heap[size++] = l;
  for (let i = (size >> 1) - 1; i >= 0; i--) down(i);
  let n = 0;
  let last = -1;
  while (size > 0) {
    const l = heap[0]!;
    const v = head(l);
    if (v !== last) {
      out[n++] = v;
      last = v;
    }
    const p = ++pos[l]!;
    if (p >= live[l]!.length) {
      heap[0] = heap[--size]!;
      if (size === 0) break;
    }
    down(0);
  }
  return out.subarray(0, n);
}

function merge2(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      out[n++] = x;
      i++;
    } else if (y < x) {
      out[n++] = y;
      j++;
    } else {
      out[n++] = x;
      i++;
      j++;
    }
  }
  while (i < a.length) out[n++] = a[i++]!;
  while (j < b.length) out[n++] = b[j++]!;
  return out.subarray(0, n);
}

/**
 * The first index in `ids[from, to)` whose id is ≥ `id` (or `to`): exponential steps from `from`,
 * then a binary search, so a short jump costs a few comparisons and a long one `O(log distance)`.
 */
function gallop(ids: Uint32Array, from: number, to: number, id: number): number {
  let lo = from;
  let step = 1;
  let hi = from;
  while (hi < to && ids[hi]! < id) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  if (hi > to) hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
