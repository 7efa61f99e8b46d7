import { Labels } from "../../../model/labels.js";

/**
 * The head's interned label strings: every series' names and values point to one string per
 * distinct text, so a value shared by many series (an `instance`, a `job`, a metric name) is held
 * once, not once per series. Strings of removed series are dropped by {@link rebuild}.
 */
export class SymbolTable {
  #symbols = new Map<string, string>();

  /** Number of distinct strings held. */
  get size(): number {
    return this.#symbols.size;
  }

  /** `labels` with every string replaced by the table's copy (added when new). */
  intern(labels: Labels): Labels {
    const pairs = labels.pairs;
    const out = new Array<string>(pairs.length);
    const symbols = this.#symbols;
    for (let i = 0; i < pairs.length; i++) {
      const s = pairs[i]!;
      const known = symbols.get(s);
      if (known === undefined) symbols.set(s, s);
      out[i] = known ?? s;
    }
    return Labels.fromSortedPairsUnsafe(out);
  }

  /** Keeps only the strings of `live` (the labels of the series still held). */
  rebuild(live: Iterable<Labels | undefined>): void {
    const next = new Map<string, string>();
    for (const labels of live) if (labels !== undefined) for (const s of labels.pairs) next.set(s, s);
    this.#symbols = next;
  }
}
