import { Labels } from "../../../model/labels.js";
import type { Matcher } from "../../../model/matcher.js";
import type { Querier, SelectHints, Series, SeriesSet } from "../../storage/interface.js";
import { ArraySeriesSet } from "../../storage/series-set.js";
import { MergeSampleIterator } from "./merge-iterator.js";

/**
 * One querier over the queriers of several blocks, given **in ULID order** (oldest block first). A
 * series found in several blocks is returned once; its iterator merges the blocks' samples in time
 * order and, on equal timestamps, keeps the sample of the later block (as compaction does).
 * `hints.limit` applies to the merged result. `close()` closes every block querier, then calls
 * `onClose` once (the block set releases its references there).
 */
export class BlockSetQuerier implements Querier {
  #closed = false;

  constructor(
    private readonly queriers: readonly Querier[],
    private readonly onClose: () => void = () => {},
  ) {}

  async select(matchers: readonly Matcher[], hints?: SelectHints): Promise<SeriesSet> {
    if (matchers.length === 0) throw new Error("select needs at least one matcher");
    const sets = await Promise.all(this.queriers.map((q) => q.select(matchers, hints)));
    if (sets.length === 1) return sets[0]!;
    const warnings = new Set(sets.flatMap((s) => s.warnings));
    const heads = sets.map((s) => s.next());
    const out: Series[] = [];
    const limit = hints?.limit ?? 0;
    for (;;) {
      let labels: Labels | undefined;
      for (const h of heads) if (h && (!labels || Labels.compare(h.labels, labels) < 0)) labels = h.labels;
      if (labels === undefined) break;
      if (limit > 0 && out.length === limit) {
        warnings.add(`results truncated to ${limit} series by the limit parameter`);
        break;
      }
      const same: Series[] = [];
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h && Labels.compare(h.labels, labels) === 0) {
          same.push(h);
          heads[i] = sets[i]!.next();
        }
      }
      out.push(same.length === 1 ? same[0]! : mergedSeries(labels, same));
    }
    return new ArraySeriesSet(out, [...warnings]);
  }

  async labelNames(matchers: readonly Matcher[]): Promise<string[]> {
    return union(await Promise.all(this.queriers.map((q) => q.labelNames(matchers))));
  }

  async labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]> {
    return union(await Promise.all(this.queriers.map((q) => q.labelValues(name, matchers))));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const q of this.queriers) q.close();
    this.onClose();
  }
}

/** One series made of the same series of several blocks (oldest first). */
function mergedSeries(labels: Labels, parts: readonly Series[]): Series {
  return { labels, iterator: () => new MergeSampleIterator(parts.map((p) => p.iterator())) };
}

function union(lists: readonly string[][]): string[] {
  if (lists.length === 1) return lists[0]!;
  return [...new Set(lists.flat())].sort();
}
