import type { Ctx } from "../../../model/context.js";
import { Labels } from "../../../model/labels.js";
import type { Matcher } from "../../../model/matcher.js";
import type { Querier, Queryable, SampleIterator, Series, SeriesSet } from "../../storage/interface.js";

/** Samples in typed arrays: JS arrays of doubles would lose the stale marker's NaN payload. */
interface StoredSeries {
  readonly labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
  n: number;
}

/**
 * A plain in-memory {@link Queryable} for tests: series kept as sorted arrays (a sample at an
 * existing time replaces it), selection by matchers with results sorted by labels, iterators
 * clipped to the querier's `[mint, maxt]`. It records
 * the selections it served, so tests can check what the engine asked for.
 */
export class MemoryQueryable implements Queryable {
  readonly #series = new Map<string, StoredSeries>();
  /** Every `select` call served: its matchers (as text) and the querier's range. */
  readonly selects: { matchers: string[]; mint: number; maxt: number }[] = [];

  /** Adds one sample. */
  add(labels: Labels | Record<string, string>, t: number, v: number): this {
    const l = labels instanceof Labels ? labels : Labels.fromRecord(labels);
    const key = l.key();
    let s = this.#series.get(key);
    if (!s) {
      s = { labels: l, ts: new Float64Array(8), vs: new Float64Array(8), n: 0 };
      this.#series.set(key, s);
    }
    // Insert in time order; a sample at an existing time replaces it.
    let lo = 0;
    let hi = s.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s.ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo < s.n && s.ts[lo] === t) {
      s.vs[lo] = v;
      return this;
    }
    if (s.n === s.ts.length) {
      const ts = new Float64Array(s.n * 2);
      const vs = new Float64Array(s.n * 2);
      ts.set(s.ts);
      vs.set(s.vs);
      s.ts = ts;
      s.vs = vs;
    }
    s.ts.copyWithin(lo + 1, lo, s.n);
    s.vs.copyWithin(lo + 1, lo, s.n);
    s.ts[lo] = t;
    s.vs[lo] = v;
    s.n++;
    return this;
  }

  /** Adds samples `values[i]` at `start + i * interval`; `undefined` leaves a gap. */
  addSeries(
    labels: Labels | Record<string, string>,
    start: number,
    interval: number,
    values: readonly (number | undefined)[],
  ): this {
    values.forEach((v, i) => {
      if (v !== undefined) this.add(labels, start + i * interval, v);
    });
    return this;
  }

  /** Drops all series. */
  clear(): void {
    this.#series.clear();
  }

  /** A querier over a snapshot of the current series, clipped to `[mint, maxt]`. */
  querier(_ctx: Ctx, mint: number, maxt: number): Querier {
    const all = [...this.#series.values()];
    const selects = this.selects;
    const matching = (matchers: readonly Matcher[]): StoredSeries[] =>
      all
        .filter((s) => matchers.every((m) => m.matches(s.labels.get(m.name))))
        .sort((a, b) => Labels.compare(a.labels, b.labels));
    let closed = false;
    const assertOpen = (): void => {
      if (closed) throw new Error("MemoryQueryable: querier used after close()");
    };
    return {
      async select(matchers: readonly Matcher[]): Promise<SeriesSet> {
        assertOpen();
        if (matchers.length === 0) throw new Error("MemoryQueryable: select needs at least one matcher");
        selects.push({ matchers: matchers.map(String), mint, maxt });
        const found = matching(matchers);
        let i = 0;
        return {
          warnings: [],
          next(): Series | undefined {
            const s = found[i++];
            if (!s) return undefined;
            return { labels: s.labels, iterator: () => new ArrayIterator(s, mint, maxt) };
          },
        };
      },
      async labelNames(matchers: readonly Matcher[]): Promise<string[]> {
        assertOpen();
        const names = new Set<string>();
        for (const s of matchers.length ? matching(matchers) : all) {
          s.labels.forEach((n) => {
            names.add(n);
          });
        }
        return [...names].sort();
      },
      async labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]> {
        assertOpen();
        const values = new Set<string>();
        for (const s of matchers.length ? matching(matchers) : all) {
          const v = s.labels.get(name);
          if (v !== "") values.add(v);
        }
        return [...values].sort();
      },
      close(): void {
        closed = true;
      },
    };
  }
}

class ArrayIterator implements SampleIterator {
  #i = -1;
  t = 0;
  v = 0;

  constructor(
    readonly s: StoredSeries,
    readonly mint: number,
    readonly maxt: number,
  ) {}

  next(): boolean {
    for (;;) {
      this.#i++;
      if (this.#i >= this.s.n) return false;
      const t = this.s.ts[this.#i]!;
      if (t > this.maxt) return false;
      if (t < this.mint) continue;
      this.t = t;
      this.v = this.s.vs[this.#i]!;
      return true;
    }
  }

  seek(t: number): boolean {
    if (this.#i >= 0 && this.#i < this.s.n && this.t >= t) return true;
    // Binary search for the first sample at or after max(t, mint), never moving backwards.
    const target = Math.max(t, this.mint);
    let lo = Math.max(this.#i + 1, 0);
    let hi = this.s.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.s.ts[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    this.#i = lo - 1;
    return this.next();
  }
}
