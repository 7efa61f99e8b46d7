import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IndexCorruptedError } from "./index-errors.js";
import {
  ArrayPostings,
  allPostings,
  collect,
  EMPTY_POSTINGS,
  intersect,
  type PostingsIterator,
  subtract,
  union,
} from "./postings.js";
import { EncodedPostings, encodePostings, RUNS_PER_BLOCK } from "./postings-codec.js";
import { ByteWriter } from "./varint.js";

/** Sorted, distinct ids; runs of consecutive ids are likely, as in real postings. */
const sortedIds = (max = 5000) =>
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 12 })), {
      maxLength: 300,
      size: "max",
    })
    .map((steps) => {
      const out: number[] = [];
      let at = -1;
      for (const [gap, run] of steps) {
        at += gap + 1;
        for (let i = 0; i < run && at < max; i++) out.push(at++);
        at--;
      }
      return Uint32Array.from(out);
    });

function encoded(ids: Uint32Array): EncodedPostings {
  const out = new ByteWriter();
  out.raw(Uint8Array.of(0xee)); // the list need not start at 0
  encodePostings(ids, 0, ids.length, out, new ByteWriter());
  const bytes = out.bytes().slice();
  return new EncodedPostings(bytes, 1, bytes.length, "test");
}

const drain = (it: PostingsIterator): number[] => Array.from(collect(it));
const ref = {
  intersect: (a: Uint32Array, b: Uint32Array) => [...a].filter(Set.prototype.has, new Set(b)),
  subtract: (a: Uint32Array, b: Uint32Array) => {
    const B = new Set(b);
    return [...a].filter((x) => !B.has(x));
  },
  union: (ls: Uint32Array[]) => [...new Set(ls.flatMap((l) => [...l]))].sort((x, y) => x - y),
};

describe("postings iterators", () => {
  it.each([
    // ids, seeks (each: target, expected id or undefined)
    [[], [[0, undefined]]],
    [
      [3],
      [
        [0, 3],
        [3, 3],
        [4, undefined],
      ],
    ],
    [
      [1, 2, 3, 10, 11, 40],
      [
        [2, 2],
        [1, 2],
        [4, 10],
        [11, 11],
        [12, 40],
        [41, undefined],
        [0, undefined],
      ],
    ],
  ] as [number[], [number, number | undefined][]][])("seek on %j", (ids, seeks) => {
    for (const make of [(a: Uint32Array) => new ArrayPostings(a), encodedOrEmpty]) {
      const it = make(Uint32Array.from(ids));
      for (const [target, want] of seeks) {
        expect(it.seek(target)).toBe(want !== undefined);
        if (want !== undefined) expect(it.at).toBe(want);
      }
    }
  });

  it("the empty list yields nothing", () => {
    expect(EMPTY_POSTINGS.next()).toBe(false);
    expect(EMPTY_POSTINGS.seek(0)).toBe(false);
  });

  it("allPostings is 0 … n−1", () => {
    expect(Array.from(allPostings(4))).toEqual([0, 1, 2, 3]);
  });

  it("encoded lists decode to what was encoded, with a skip table past 64 runs", () => {
    fc.assert(
      fc.property(sortedIds(), (ids) => {
        fc.pre(ids.length > 0);
        const it = encoded(ids);
        expect(it.count).toBe(ids.length);
        expect(drain(it)).toEqual([...ids]);
        expect(it.next()).toBe(false);
        expect(Array.from(it.toArray())).toEqual([...ids]);
      }),
    );
  });

  it("seek agrees with a linear scan, forwards and at any mix of next and seek", () => {
    fc.assert(
      fc.property(
        sortedIds(),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5200 })), { maxLength: 60 }),
        (ids, ops) => {
          fc.pre(ids.length > 0);
          for (const it of [encoded(ids), new ArrayPostings(ids)]) {
            let i = -1; // index of the current id in ids
            for (const [isSeek, target] of ops) {
              if (isSeek) {
                let j = Math.max(i, 0);
                while (j < ids.length && ids[j]! < target) j++;
                const ok = it.seek(target);
                expect(ok).toBe(j < ids.length);
                if (!ok) break;
                i = j;
              } else {
                const ok = it.next();
                expect(ok).toBe(i + 1 < ids.length);
                if (!ok) break;
                i++;
              }
              expect(it.at).toBe(ids[i]);
            }
          }
        },
      ),
    );
  });

  it("a list of 10 000 isolated ids has a skip table and seeks into its middle", () => {
    const ids = Uint32Array.from({ length: 10_000 }, (_, i) => i * 3);
    const it = encoded(ids);
    expect(it.seek(15_001)).toBe(true);
    expect(it.at).toBe(15_003);
    expect(it.next()).toBe(true);
    expect(it.at).toBe(15_006);
    expect(it.seek(29_997)).toBe(true);
    expect(it.next()).toBe(false);
    // The skip table: one entry per block of 64 runs after the first.
    const out = new ByteWriter();
    encodePostings(ids, 0, ids.length, out, new ByteWriter());
    const skipCount = Math.ceil(10_000 / RUNS_PER_BLOCK) - 1;
    // count (2 bytes: 10 000) then skipCount (2 bytes: 156)
    expect(out.bytes()[2]! | ((out.bytes()[3]! & 0x7f) << 7)).toBe(skipCount);
  });

  it("runs cost a few bytes whatever their length", () => {
    const out = new ByteWriter();
    encodePostings(allPostings(100_000), 0, 100_000, out, new ByteWriter());
    expect(out.length).toBeLessThanOrEqual(8); // count 3, skips 1, run 1 + 3
  });

  it("truncated bytes are reported as corruption of the postings section", () => {
    const out = new ByteWriter();
    encodePostings(Uint32Array.of(1, 300, 301, 302), 0, 4, out, new ByteWriter());
    const bytes = out.bytes().slice(0, out.length - 1);
    const it = new EncodedPostings(bytes, 0, bytes.length, "f");
    expect(() => drain(it)).toThrow(IndexCorruptedError);
    expect(() => it.toArray()).toThrow(IndexCorruptedError);
  });
});

describe("postings operations", () => {
  it.each([
    [[], [1, 2], [], []],
    [[1, 2, 3], [], [], [1, 2, 3]],
    [[1, 5, 9], [1, 9, 10], [1, 9], [5]],
    [
      [0, 1, 2, 3, 4, 100],
      [4, 100, 200],
      [4, 100],
      [0, 1, 2, 3],
    ],
  ])("%j with %j: intersect %j, subtract %j", (a, b, inter, sub) => {
    const A = Uint32Array.from(a);
    const B = Uint32Array.from(b);
    expect(Array.from(intersect(A, new ArrayPostings(B)))).toEqual(inter);
    expect(Array.from(subtract(A, new ArrayPostings(B)))).toEqual(sub);
  });

  it("intersect, subtract and union agree with sets, over arrays and encoded lists", () => {
    fc.assert(
      fc.property(sortedIds(), sortedIds(), fc.array(sortedIds(300), { maxLength: 6 }), (a, b, more) => {
        expect(Array.from(intersect(a, new ArrayPostings(b)))).toEqual(ref.intersect(a, b));
        expect(Array.from(intersect(a, encodedOrEmpty(b)))).toEqual(ref.intersect(a, b));
        expect(Array.from(subtract(a, new ArrayPostings(b)))).toEqual(ref.subtract(a, b));
        expect(Array.from(subtract(a, encodedOrEmpty(b)))).toEqual(ref.subtract(a, b));
        const lists = [a, b, ...more];
        expect(Array.from(union(lists))).toEqual(ref.union(lists));
        expect(Array.from(union([a, b]))).toEqual(ref.union([a, b]));
      }),
    );
  });
});

function encodedOrEmpty(ids: Uint32Array): PostingsIterator {
  return ids.length === 0 ? new ArrayPostings(ids) : encoded(ids);
}
