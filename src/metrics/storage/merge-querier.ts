import type { Matcher } from "../../model/matcher.js";
import type { Querier, SelectHints, SeriesSet } from "./interface.js";
import { MergedSeriesSet } from "./series-set.js";

/**
 * One querier over several (one per tenant): selections are merged in label order, label names
 * and values are unioned. This is how `X-Scope-OrgID: a|b` reads several tenants as one dataset.
 */
export class MergeQuerier implements Querier {
  constructor(private readonly queriers: readonly Querier[]) {}

  async select(matchers: readonly Matcher[], hints?: SelectHints): Promise<SeriesSet> {
    const sets = await Promise.all(this.queriers.map((q) => q.select(matchers, hints)));
    return new MergedSeriesSet(sets);
  }

  async labelNames(matchers: readonly Matcher[]): Promise<string[]> {
    return union(await Promise.all(this.queriers.map((q) => q.labelNames(matchers))));
  }

  async labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]> {
    return union(await Promise.all(this.queriers.map((q) => q.labelValues(name, matchers))));
  }

  close(): void {
    for (const q of this.queriers) q.close();
  }
}

function union(lists: readonly string[][]): string[] {
  return [...new Set(lists.flat())].sort();
}
