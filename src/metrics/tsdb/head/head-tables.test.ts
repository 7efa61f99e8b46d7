import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Labels } from "../../../model/labels.js";
import { AppendFence } from "./append-fence.js";
import { AppendScratch, ScratchPool } from "./append-scratch.js";
import { EMPTY_SLOT, SeriesHashIndex } from "./series-hash-index.js";
import { SymbolTable } from "./symbol-table.js";
import { WireLabelCache } from "./wire-label-cache.js";

describe("SeriesHashIndex", () => {
  it("behaves like a multimap of hash → refs under inserts and removals, across rehashes (property)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("insert" as const), hash: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.constantFrom(0, 2 ** 40, 2 ** 52), (ops, high) => {
        const index = new SeriesHashIndex(4);
        const model = new Map<number, number>(); // ref → hash
        let next = 0;
        for (const o of ops) {
          if (o.kind === "insert") {
            index.insert(high + o.hash, next);
            model.set(next++, high + o.hash);
          } else if (model.size > 0) {
            const refs = [...model.keys()];
            const ref = refs[o.pick % refs.length]!;
            expect(index.remove(model.get(ref)!, ref)).toBe(true);
            model.delete(ref);
          }
        }
        expect(index.size).toBe(model.size);
        for (const [ref, hash] of model) expect(index.find(hash, (r) => r === ref)).toBe(ref);
        // Every ref under a hash is reachable by probing, and no other.
        for (let h = 0; h <= 40; h++) {
          const found: number[] = [];
          for (let s = index.first(high + h); index.refAt(s) !== EMPTY_SLOT; s = index.next(s)) {
            if (index.refAt(s) >= 0 && index.hashAt(s) === high + h) found.push(index.refAt(s));
          }
          const want = [...model].filter(([, hash]) => hash === high + h).map(([r]) => r);
          expect(found.sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
        }
        expect(index.remove(high + 99, 0)).toBe(false);
      }),
    );
  });
});

describe("WireLabelCache", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it("recognises the remembered bytes only, reuses a place that fits and compacts when full", () => {
    const cache = new WireLabelCache();
    const buf = bytes("xxabcdefyy");
    expect(cache.matches(0, buf, 2, 8)).toBe(false);
    cache.remember(0, buf, 2, 8);
    expect(cache.matches(0, buf, 2, 8)).toBe(true);
    expect(cache.matches(0, bytes("abcdeF"), 0, 6)).toBe(false);
    expect(cache.matches(0, bytes("abcde"), 0, 5)).toBe(false);
    expect(cache.matches(1, buf, 2, 8)).toBe(false);
    // Many series, each replaced many times with longer bytes: the arena compacts and grows.
    for (let round = 1; round <= 20; round++) {
      for (let ref = 0; ref < 500; ref++) {
        const b = bytes(`${ref}:${"z".repeat(round * 10)}`);
        cache.remember(ref, b, 0, b.length);
      }
    }
    for (let ref = 0; ref < 500; ref++) {
      const b = bytes(`${ref}:${"z".repeat(200)}`);
      expect(cache.matches(ref, b, 0, b.length)).toBe(true);
    }
    expect(cache.arenaBytes).toBeLessThan(3 * 500 * 210);
    cache.forget(7);
    const seven = bytes(`7:${"z".repeat(200)}`);
    expect(cache.matches(7, seven, 0, seven.length)).toBe(false);
  });
});

describe("AppendScratch", () => {
  it("maps head refs to handles exactly, grows, and comes back empty from the pool", () => {
    const pool = new ScratchPool();
    const s = pool.acquire();
    for (let ref = 0; ref < 5000; ref += 3) s.setHandle(ref * 7919, ref);
    for (let ref = 0; ref < 5000; ref++) expect(s.handleOf(ref * 7919)).toBe(ref % 3 === 0 ? ref : -1);
    s.reserve(4000);
    expect(s.ref.length).toBeGreaterThan(4000);
    s.batch.push(1, 2, 3);
    pool.release(s);
    const again = pool.acquire();
    expect(again).toBe(s);
    expect(again.batch.length).toBe(0);
    expect(again.handleOf(0)).toBe(-1);
    expect(new AppendScratch().handleOf(12)).toBe(-1);
  });
});

describe("SymbolTable", () => {
  it("holds each distinct string once and forgets strings of removed series", () => {
    // String identity is not observable in JS; what is: equal results and one entry per distinct text.
    const t = new SymbolTable();
    const a = t.intern(Labels.fromRecord({ __name__: "up", job: `n${"ode".repeat(3)}` }));
    const b = t.intern(Labels.fromRecord({ __name__: "up", job: `node${"ode".repeat(2)}` }));
    expect(a.equals(b)).toBe(true);
    expect(a.toString()).toBe('up{job="nodeodeode"}');
    expect(t.size).toBe(4); // __name__, up, job, nodeodeode
    t.rebuild([Labels.fromRecord({ __name__: "up" }), undefined]);
    expect(t.size).toBe(2);
  });
});

describe("AppendFence", () => {
  it("waits for appenders holding older samples only, and never lowers the fence", async () => {
    const f = new AppendFence();
    const a = {};
    const b = {};
    f.track(a, 5);
    f.track(b, 20);
    let settled10 = false;
    const p10 = f.settled(10).then(() => {
      settled10 = true;
    });
    await f.settled(3); // nobody holds anything older than 3
    f.untrack(b);
    await Promise.resolve();
    expect(settled10).toBe(false); // `a` still holds 5
    f.untrack(a);
    await p10;
    expect(settled10).toBe(true);
    f.raise(100);
    f.raise(50);
    expect(f.at).toBe(100);
  });
});
