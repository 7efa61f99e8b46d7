import { Labels } from "../../model/labels.js";
import type { Series, SeriesSet } from "./interface.js";

/** A {@link SeriesSet} over an array of series already sorted by labels. */
export class ArraySeriesSet implements SeriesSet {
  #i = 0;

  constructor(
    private readonly series: readonly Series[],
    readonly warnings: readonly string[] = [],
  ) {}

  next(): Series | undefined {
    return this.series[this.#i++];
  }
}

/** Drains a series set into an array. */
export function collectSeries(set: SeriesSet): Series[] {
  const out: Series[] = [];
  for (let s = set.next(); s; s = set.next()) out.push(s);
  return out;
}

/**
 * Merges sorted series sets into one sorted set. Series with equal labels from several sets are
 * all kept, in input order (tenants' series differ by their `cluster` label in practice).
 */
export class MergedSeriesSet implements SeriesSet {
  readonly #heads: (Series | undefined)[];
  readonly warnings: readonly string[];

  constructor(private readonly sets: readonly SeriesSet[]) {
    this.#heads = sets.map((s) => s.next());
    this.warnings = sets.flatMap((s) => s.warnings);
  }

  next(): Series | undefined {
    let best = -1;
    for (let i = 0; i < this.#heads.length; i++) {
      const h = this.#heads[i];
      if (h && (best < 0 || Labels.compare(h.labels, this.#heads[best]!.labels) < 0)) best = i;
    }
    if (best < 0) return undefined;
    const out = this.#heads[best]!;
    this.#heads[best] = this.sets[best]!.next();
    return out;
  }
}
