import type { Labels } from "../../../model/labels.js";
import type { Matcher } from "../../../model/matcher.js";

/** A growable list of series refs, ascending. */
class RefList {
  refs = new Uint32Array(4);
  length = 0;

  /** Adds `ref`, not yet held; at the end when it is the largest (the usual case), else in its place. */
  insert(ref: number): void {
    if (this.length === this.refs.length) {
      const next = new Uint32Array(this.refs.length * 2);
      next.set(this.refs);
      this.refs = next;
    }
    const refs = this.refs;
    let i = this.length;
    if (i > 0 && refs[i - 1]! > ref) {
      // A series revived under its old ref, or replayed out of ref order: rare, so a plain search.
      let lo = 0;
      while (lo < i) {
        const mid = (lo + i) >>> 1;
        if (refs[mid]! < ref) lo = mid + 1;
        else i = mid;
      }
      refs.copyWithin(i + 1, i, this.length);
    }
    refs[i] = ref;
    this.length++;
  }

  /** Removes the refs marked in `gone` (indexed by ref); gives memory back when most of it is unused. */
  removeMarked(gone: Uint8Array): void {
    const refs = this.refs;
    let n = 0;
    for (let i = 0; i < this.length; i++) {
      const r = refs[i]!;
      if (gone[r] !== 1) refs[n++] = r;
    }
    this.length = n;
    if (n * 4 < refs.length && refs.length > 4) this.refs = refs.slice(0, Math.max(4, n * 2));
  }

  view(): Uint32Array {
    return this.refs.subarray(0, this.length);
  }
}

/**
 * The head's inverted index: label name → value → the refs of the series carrying that pair,
 * ascending. Series are added one by one, mostly in increasing ref order, and removed in batches
 * (a head truncation removes many at once); a pair left without series disappears.
 */
export class HeadPostings {
  readonly #byName = new Map<string, Map<string, RefList>>();

  /** Indexes series `ref`, which must not be indexed already. Cheapest when `ref` is the largest so far. */
  add(ref: number, labels: Labels): void {
    labels.forEach((name, value) => {
      let values = this.#byName.get(name);
      if (!values) {
        values = new Map();
        this.#byName.set(name, values);
      }
      let list = values.get(value);
      if (!list) {
        list = new RefList();
        values.set(value, list);
      }
      list.insert(ref);
    });
  }

  /**
   * Unindexes the series `refs[i]`, whose labels are `labels[i]`, all at once: every posting list
   * they appear in is rewritten once, however many of them it holds, and only those lists are
   * touched. Refs that are not indexed under those labels are ignored.
   */
  remove(refs: readonly number[], labels: readonly Labels[]): void {
    if (refs.length === 0) return;
    let max = 0;
    for (const r of refs) if (r > max) max = r;
    const gone = new Uint8Array(max + 1);
    for (const r of refs) gone[r] = 1;
    const touched = new Map<RefList, { values: Map<string, RefList>; name: string; value: string }>();
    for (const l of labels) {
      l.forEach((name, value) => {
        const values = this.#byName.get(name);
        const list = values?.get(value);
        if (values !== undefined && list !== undefined && !touched.has(list)) {
          touched.set(list, { values, name, value });
        }
      });
    }
    for (const [list, at] of touched) {
      list.removeMarked(gone);
      if (list.length > 0) continue;
      at.values.delete(at.value);
      if (at.values.size === 0) this.#byName.delete(at.name);
    }
  }

  /**
   * The refs of series that satisfy every matcher that does not match the empty string (those need
   * the label, so their postings bound the result), ascending; undefined when no matcher narrows,
   * i.e. every series is a candidate. The caller still filters by the other matchers. The returned
   * array may be a view of the index: read it before the next `add` or `remove`.
   */
  candidates(matchers: readonly Matcher[]): Uint32Array | undefined {
    let out: Uint32Array | undefined;
    for (const m of matchers) {
      if (m.matchesEmpty()) continue;
      const hit = this.#forMatcher(m);
      out = out === undefined ? hit : intersect(out, hit);
      if (out.length === 0) return out;
    }
    return out;
  }

  /** Refs of series whose value of `m.name` satisfies `m`, ascending. */
  #forMatcher(m: Matcher): Uint32Array {
    const values = this.#byName.get(m.name);
    if (!values) return new Uint32Array(0);
    if (m.type === "=") return values.get(m.value)?.view() ?? new Uint32Array(0);
    const lists: Uint32Array[] = [];
    let total = 0;
    for (const [value, list] of values) {
      if (m.matches(value)) {
        lists.push(list.view());
        total += list.length;
      }
    }
    if (lists.length === 1) return lists[0]!;
    // A series has one value per name, so the lists are disjoint: concatenate and sort.
    const merged = new Uint32Array(total);
    let at = 0;
    for (const l of lists) {
      merged.set(l, at);
      at += l.length;
    }
    return merged.sort();
  }
}

/** The intersection of two ascending ref arrays. */
function intersect(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out[n++] = x;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out.subarray(0, n);
}
