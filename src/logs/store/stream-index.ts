import type { Matcher } from "../../model/matcher.js";

/**
 * The label index of a log head: for every label name, its values, and for every (name, value) the
 * postings — the ids of the streams that carry it, ascending (ids are handed out in increasing
 * order and a stream is added once, so appending keeps them sorted).
 */
export class StreamIndex {
  readonly #postings = new Map<string, Map<string, number[]>>();
  readonly #all: number[] = [];

  /** Streams indexed. */
  get size(): number {
    return this.#all.length;
  }

  /**
   * Adds stream `id` (not added before) with its labels. Ids usually come in increasing order (an
   * append); a lower one (a stream kept across a flush that writes again) is inserted in place.
   */
  add(id: number, labels: readonly (readonly [string, string])[]): void {
    insertSorted(this.#all, id);
    for (const [name, value] of labels) {
      let values = this.#postings.get(name);
      if (values === undefined) {
        values = new Map();
        this.#postings.set(name, values);
      }
      const list = values.get(value);
      if (list === undefined) values.set(value, [id]);
      else insertSorted(list, id);
    }
  }

  /** Label names, sorted. */
  labelNames(): string[] {
    return [...this.#postings.keys()].sort();
  }

  /** Values of label `name`, sorted. */
  labelValues(name: string): string[] {
    const values = this.#postings.get(name);
    return values === undefined ? [] : [...values.keys()].sort();
  }

  /**
   * The ids of the streams every matcher selects, ascending. A matcher that matches the empty string
   * also selects streams without the label (as in Prometheus and Loki); no matchers select every stream.
   */
  select(matchers: readonly Matcher[]): number[] {
    let result: number[] | undefined;
    // Matchers that need the label narrow first; those that also match "" subtract afterwards.
    const positive = matchers.filter((m) => !m.matchesEmpty());
    const negative = matchers.filter((m) => m.matchesEmpty());
    for (const m of positive) {
      const values = this.#postings.get(m.name);
      if (values === undefined) return [];
      const lists: number[][] = [];
      if (m.type === "=") {
        const l = values.get(m.value);
        if (l !== undefined) lists.push(l);
      } else {
        for (const [v, l] of values) if (m.matches(v)) lists.push(l);
      }
      const union = unionSorted(lists);
      result = result === undefined ? union : intersectSorted(result, union);
      if (result.length === 0) return result;
    }
    result ??= this.#all.slice();
    for (const m of negative) {
      const values = this.#postings.get(m.name);
      if (values === undefined) continue; // every stream lacks the label: "" matches
      const lists: number[][] = [];
      for (const [v, l] of values) if (!m.matches(v)) lists.push(l);
      if (lists.length > 0) result = subtractSorted(result, unionSorted(lists));
    }
    return result;
  }
}

function unionSorted(lists: readonly number[][]): number[] {
  if (lists.length === 0) return [];
  if (lists.length === 1) return lists[0]!.slice();
  const set = new Set<number>();
  for (const l of lists) for (const id of l) set.add(id);
  return [...set].sort((a, b) => a - b);
}

function intersectSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out;
}

function subtractSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j]! < x) j++;
    if (b[j] !== x) out.push(x);
  }
  return out;
}

/** Inserts `id` into the ascending `list`: a push when it is the largest, else in place. */
function insertSorted(list: number[], id: number): void {
  const last = list.at(-1);
  if (last === undefined || id > last) {
    list.push(id);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] === id) throw new Error(`StreamIndex.add: stream ${id} is already indexed`);
  list.splice(lo, 0, id);
}
