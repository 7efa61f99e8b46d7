import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SampleIterator } from "../../storage/interface.js";
import { MergeSampleIterator } from "./merge-iterator.js";

/** An iterator over `[t, v]` pairs (values kept in a Float64Array). */
function arrayIt(samples: readonly [number, number][]): SampleIterator {
  const ts = samples.map(([t]) => t);
  const vs = Float64Array.from(samples, ([, v]) => v);
  let i = -1;
  return {
    get t() {
      return ts[i]!;
    },
    get v() {
      return vs[i]!;
    },
    next: () => ++i < ts.length,
    seek(t: number) {
      if (i >= 0 && i < ts.length && ts[i]! >= t) return true;
      while (++i < ts.length) if (ts[i]! >= t) return true;
      return false;
    },
  };
}

function drain(it: SampleIterator): [number, number][] {
  const out: [number, number][] = [];
  while (it.next()) out.push([it.t, it.v]);
  return out;
}

describe("MergeSampleIterator", () => {
  it("merges in time order; on equal timestamps the later source wins", () => {
    const m = new MergeSampleIterator([
      arrayIt([
        [1, 10],
        [3, 30],
        [5, 50],
      ]),
      arrayIt([
        [2, 200],
        [3, 300],
        [6, 600],
      ]),
      arrayIt([]),
    ]);
    expect(drain(m)).toEqual([
      [1, 10],
      [2, 200],
      [3, 300],
      [5, 50],
      [6, 600],
    ]);
    expect(m.next()).toBe(false);
  });

  it("seeks forward in every source, never backwards", () => {
    const m = new MergeSampleIterator([
      arrayIt([
        [1, 1],
        [4, 4],
        [8, 8],
      ]),
      arrayIt([
        [2, 2],
        [4, 40],
        [9, 9],
      ]),
    ]);
    expect(m.seek(3) && [m.t, m.v]).toEqual([4, 40]);
    expect(m.seek(1) && m.t).toBe(4);
    expect(m.next() && m.t).toBe(8);
    expect(m.next() && m.t).toBe(9);
    expect(m.seek(10)).toBe(false);
  });

  it("matches a reference merge on random inputs", () => {
    const source = fc
      .uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 20 })
      .map((ts) => ts.sort((a, b) => a - b));
    fc.assert(
      fc.property(
        fc.array(source, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -1, max: 61 }),
        (lists, seekTo) => {
          // Source k's value at t is 1000·k + t, so the winner is visible.
          const its = () =>
            lists.map((ts, k) => arrayIt(ts.map((t) => [t, 1000 * k + t] as [number, number])));
          const winner = new Map<number, number>();
          lists.forEach((ts, k) => {
            for (const t of ts) winner.set(t, 1000 * k + t);
          });
          const expected = [...winner].sort((a, b) => a[0] - b[0]);
          expect(drain(new MergeSampleIterator(its()))).toEqual(expected);
          const m = new MergeSampleIterator(its());
          const after = expected.filter(([t]) => t >= seekTo);
          if (after.length === 0) {
            expect(m.seek(seekTo)).toBe(false);
          } else {
            expect(m.seek(seekTo) && [m.t, m.v]).toEqual(after[0]);
            expect(drain(m)).toEqual(after.slice(1));
          }
        },
      ),
    );
  });
});
