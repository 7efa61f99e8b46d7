import { cmp, Labels } from "../../model/labels.js";

/**
 * The label set being relabeled: the input {@link Labels} plus the changes made so far, resolved to a
 * new {@link Labels} only at the end (and not at all when nothing changed).
 *
 * It behaves as Prometheus's `labels.Builder` does, including the order in which {@link snapshot}
 * lists labels — untouched input labels in name order, then labels set since, in the order they were
 * first set — which decides the winner when `labelmap` writes one name from several labels.
 * Setting an empty value deletes the label.
 *
 * Changes are few (a handful of names per rule list), so they live in small reused arrays scanned
 * linearly: cheaper than maps and sorting callbacks at this size. One builder serves one program,
 * reset between calls ({@link reset}).
 */
export class RelabelBuilder {
  #base: Labels = Labels.EMPTY;
  /** Names and values set since {@link reset}, in the order first set; `#added` entries are live. */
  readonly #names: string[] = [];
  readonly #values: string[] = [];
  #added = 0;
  /** Names deleted since {@link reset} (a name also in `#names` is present: set after the delete). */
  readonly #deletedNames: string[] = [];
  #deleted = 0;
  /** Scratch for {@link labels}: the set names in name order. */
  readonly #sorted: string[] = [];

  /** Starts over from `base`. */
  reset(base: Labels): void {
    this.#base = base;
    this.#added = 0;
    this.#deleted = 0;
  }

  /** The value of `name`, or "" when absent. */
  get(name: string): string {
    const names = this.#names;
    for (let i = 0; i < this.#added; i++) if (names[i] === name) return this.#values[i]!;
    if (this.#deleted > 0 && this.#isDeleted(name)) return "";
    return lookup(this.#base.pairs, name);
  }

  /** Sets `name` to `value`; an empty value deletes it. */
  set(name: string, value: string): void {
    if (value === "") {
      this.delete(name);
      return;
    }
    const names = this.#names;
    const n = this.#added;
    for (let i = 0; i < n; i++) {
      if (names[i] === name) {
        this.#values[i] = value;
        return;
      }
    }
    names[n] = name;
    this.#values[n] = value;
    this.#added = n + 1;
  }

  /** Removes `name`. */
  delete(name: string): void {
    const names = this.#names;
    const values = this.#values;
    const n = this.#added;
    for (let i = 0; i < n; i++) {
      if (names[i] !== name) continue;
      for (let j = i + 1; j < n; j++) {
        names[j - 1] = names[j]!;
        values[j - 1] = values[j]!;
      }
      this.#added = n - 1;
      break;
    }
    if (!this.#isDeleted(name)) this.#deletedNames[this.#deleted++] = name;
  }

  /** The current labels as flat `[name, value, …]` pairs in Prometheus's iteration order (see the class comment). */
  snapshot(): string[] {
    const out: string[] = [];
    const p = this.#base.pairs;
    const changed = this.#added > 0 || this.#deleted > 0;
    for (let i = 0; i < p.length; i += 2) {
      const name = p[i]!;
      if (changed && (this.#isAdded(name) || this.#isDeleted(name))) continue;
      out.push(name, p[i + 1]!);
    }
    for (let i = 0; i < this.#added; i++) out.push(this.#names[i]!, this.#values[i]!);
    return out;
  }

  /** The resulting label set: the input itself when nothing was set or deleted. */
  labels(): Labels {
    const n = this.#added;
    if (n === 0 && this.#deleted === 0) return this.#base;
    const sorted = this.#sortedNames();
    const p = this.#base.pairs;
    const out: string[] = [];
    let j = 0;
    for (let i = 0; i < p.length; i += 2) {
      const name = p[i]!;
      while (j < n && sorted[j]! < name) {
        out.push(sorted[j]!, this.get(sorted[j]!));
        j++;
      }
      if (j < n && sorted[j] === name) {
        out.push(name, this.get(name));
        j++;
        continue;
      }
      if (this.#deleted > 0 && this.#isDeleted(name)) continue;
      out.push(name, p[i + 1]!);
    }
    for (; j < n; j++) out.push(sorted[j]!, this.get(sorted[j]!));
    return Labels.fromSortedPairsUnsafe(out);
  }

  /** The set names in name order (in a reused array; entries past the count are stale). */
  #sortedNames(): string[] {
    const n = this.#added;
    const sorted = this.#sorted;
    if (n > 32) {
      const all = this.#names.slice(0, n).sort(cmp);
      for (let i = 0; i < n; i++) sorted[i] = all[i]!;
      return sorted;
    }
    for (let i = 0; i < n; i++) {
      const name = this.#names[i]!;
      let k = i;
      while (k > 0 && sorted[k - 1]! > name) {
        sorted[k] = sorted[k - 1]!;
        k--;
      }
      sorted[k] = name;
    }
    return sorted;
  }

  #isAdded(name: string): boolean {
    const names = this.#names;
    for (let i = 0; i < this.#added; i++) if (names[i] === name) return true;
    return false;
  }

  #isDeleted(name: string): boolean {
    const deleted = this.#deletedNames;
    for (let i = 0; i < this.#deleted; i++) if (deleted[i] === name) return true;
    return false;
  }
}

/**
 * The value of `name` in sorted flat pairs, or "". A binary search that tests equality (cheap: most
 * names differ in length) before order (costly: names often share a long prefix).
 */
function lookup(pairs: readonly string[], name: string): string {
  let lo = 0;
  let hi = pairs.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const k = pairs[mid << 1]!;
    if (k === name) return pairs[(mid << 1) + 1]!;
    if (k < name) lo = mid + 1;
    else hi = mid;
  }
  return "";
}
