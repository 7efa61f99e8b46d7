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
});
