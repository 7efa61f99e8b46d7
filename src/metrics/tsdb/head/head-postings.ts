import type { Labels } from "../../../model/labels.js";
import type { Matcher } from "../../../model/matcher.js";

/** A growable list of series refs, ascending (refs are added in creation order). */
class RefList {
  refs = new Uint32Array(4);
  length = 0;

  push(ref: number): void {
    if (this.length === this.refs.length) {
      const next = new Uint32Array(this.refs.length * 2);
      next.set(this.refs);
      this.refs = next;
    }
    this.refs[this.length++] = ref;
  }

  view(): Uint32Array {
    return this.refs.subarray(0, this.length);
  }
}

/**
 * The head's inverted index: label name → value → the refs of the series carrying that pair,
 * ascending. Refs are only ever added, in increasing order (the head never deletes a series yet).
 */
export class HeadPostings {
  readonly #byName = new Map<string, Map<string, RefList>>();

  /** Indexes series `ref`, which must be greater than every ref added before. */
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
      list.push(ref);
    });
  }

  /**
   * The refs of series that satisfy every matcher that does not match the empty string (those need
   * the label, so their postings bound the result), ascending; undefined when no matcher narrows,
   * i.e. every series is a candidate. The caller still filters by the other matchers. The returned
   * array may be a view of the index: read it before the next `add`.
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
