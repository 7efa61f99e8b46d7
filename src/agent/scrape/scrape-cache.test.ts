import { describe, expect, it } from "vitest";
import { hashLabels } from "../../model/label-hash.js";
import { Labels } from "../../model/labels.js";
import { BatchBuilder } from "./batch-builder.js";
import { ScrapeCache } from "./scrape-cache.js";

/** Two different label sets whose 30-bit series keys are equal (found by the birthday bound). */
function collidingPair(): [Labels, Labels] {
  const seen = new Map<number, Labels>();
  for (let i = 0; ; i++) {
    const l = Labels.fromRecord({ __name__: "m", i: String(i) });
    const key = hashLabels(l) & 0x3fffffff;
    const other = seen.get(key);
    if (other !== undefined) return [other, l];
    seen.set(key, l);
  }
}

describe("ScrapeCache", () => {
  it("keeps label sets whose keys collide apart, and flushes each on its own", () => {
    const [a, b] = collidingPair();
    const cache = new ScrapeCache();
    const batch = new BatchBuilder();
    const ea = cache.add("a", a);
    const eb = cache.add("b", b);
    expect(ea.series).not.toBe(eb.series);
    expect(cache.add("a2", Labels.fromPairs([...a.pairs])).series).toBe(ea.series);
    expect(cache.emit(ea.series!, true)).toBe(true);
    expect(cache.emit(eb.series!, true)).toBe(true);
    cache.succeeded(batch, 1, false);

    // Only b's text is scraped next: a gets a stale marker and is flushed, b stays the same series.
    expect(cache.get("b")?.series).toBe(eb.series);
    cache.emit(eb.series!, true);
    batch.reset();
    cache.succeeded(batch, 2, false);
    expect(batch.view().labels).toEqual([a]);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.add("b-again", b).series).toBe(eb.series);
    expect(cache.add("a-again", a).series).not.toBe(ea.series);
  });

  it("stales exactly the previous scrape's missing series as targets grow, shrink and fail", () => {
    // A seeded walk over scrapes of random subsets (and some failures), checked against the plain
    // definition: stale = emitted by the previous successful scrape and not by this one.
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const all = Array.from({ length: 40 }, (_, i) => Labels.fromRecord({ __name__: "m", i: String(i) }));
    const cache = new ScrapeCache();
    const batch = new BatchBuilder();
    let prev = new Set<Labels>();
    for (let scrape = 0; scrape < 300; scrape++) {
      const size = Math.floor(rand() * all.length);
      const emitted = new Set<Labels>();
      batch.reset();
      for (let k = 0; k < size; k++) {
        const l = all[Math.floor(rand() * all.length)]!;
        const raw = l.pairs.join(",");
        const e = cache.get(raw) ?? cache.add(raw, l);
        if (cache.emit(e.series!, true)) emitted.add(e.series!.labels);
      }
      if (rand() < 0.1) {
        cache.failed(batch, scrape);
        expect(new Set(batch.view().labels)).toEqual(prev);
        prev = new Set();
        continue;
      }
      cache.succeeded(batch, scrape, size === 0);
      const stale = new Set([...prev].filter((l) => !emitted.has(l)));
      expect(new Set(batch.view().labels)).toEqual(stale);
      expect(batch.view().labels.length).toBe(stale.size);
      expect(new Set(cache.lastSeries().map((s) => s.labels))).toEqual(emitted);
      prev = emitted;
    }
  });
});
