import { Labels } from "../../../model/labels.js";
import type { Matcher } from "../../../model/matcher.js";
import type { Querier, SelectHints, Series, SeriesSet } from "../../storage/interface.js";
import { ArraySeriesSet } from "../../storage/series-set.js";
import type { Head, SeriesSnapshot } from "./head.js";
import { HeadSeriesIterator } from "./head-iterator.js";

/**
 * Reads one {@link Head} over `[mint, maxt]` (ms, inclusive). Matchers that do not match the empty
 * string narrow the candidates through the postings; the others filter them. A series is returned
 * only if it has a sample in the range. Each selected series is a snapshot taken at `select` time:
 * commits after it are not seen by its iterators. An absent head (a tenant never written) is empty.
 */
export class HeadQuerier implements Querier {
  constructor(
    private readonly head: Head | undefined,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  async select(matchers: readonly Matcher[], hints?: SelectHints): Promise<SeriesSet> {
    if (matchers.length === 0) throw new Error("select needs at least one matcher");
    const mint = Math.max(this.mint, hints?.start ?? this.mint);
    const maxt = Math.min(this.maxt, hints?.end ?? this.maxt);
    const found: Series[] = [];
    this.#forEach(matchers, mint, maxt, (labels, snap) => {
      found.push({ labels, iterator: () => new HeadSeriesIterator(snap.chunks, mint, maxt, snap.ooo) });
    });
    found.sort((a, b) => Labels.compare(a.labels, b.labels));
    const limit = hints?.limit ?? 0;
    if (limit > 0 && found.length > limit) {
      return new ArraySeriesSet(found.slice(0, limit), [
        `results truncated to ${limit} series by the limit parameter`,
      ]);
    }
    return new ArraySeriesSet(found);
  }

  async labelNames(matchers: readonly Matcher[]): Promise<string[]> {
    const names = new Set<string>();
    this.#forEach(matchers, this.mint, this.maxt, (labels) => {
      labels.forEach((n) => {
        names.add(n);
      });
    });
    return [...names].sort();
  }

  async labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]> {
    const values = new Set<string>();
    this.#forEach(matchers, this.mint, this.maxt, (labels) => {
      const v = labels.get(name);
      if (v !== "") values.add(v);
    });
    return [...values].sort();
  }

  close(): void {}

  /** Calls `fn` for each series satisfying `matchers` (all when empty) with a sample in `[mint, maxt]`. */
  #forEach(
    matchers: readonly Matcher[],
    mint: number,
    maxt: number,
    fn: (labels: Labels, snap: SeriesSnapshot) => void,
  ): void {
    const head = this.head;
    if (head === undefined || mint > maxt) return;
    const candidates = head.postings.candidates(matchers);
    const filters = matchers.filter((m) => m.matchesEmpty());
    const n = candidates === undefined ? head.refLimit : candidates.length;
    for (let i = 0; i < n; i++) {
      const ref = candidates === undefined ? i : candidates[i]!;
      const labels = head.labelsOf(ref);
      if (labels === undefined) continue;
      if (!filters.every((m) => m.matches(labels.get(m.name)))) continue;
      const snap = head.snapshot(ref, mint, maxt);
      if (snap === undefined) continue;
      // Chunks overlapping the range may still have no sample inside it.
      if (!snap.surelyInRange && !new HeadSeriesIterator(snap.chunks, mint, maxt, snap.ooo).next()) continue;
      fn(labels, snap);
    }
  }
}
