import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SubstringSearch, substringSearchModule } from "./chunk-search.js";

/** Every match position of `needle` in `hay` from `from` on, by repeated `indexOf`. */
function all(s: SubstringSearch, from: number): number[] {
  const out: number[] = [];
  for (let p = s.indexOf(from); p >= 0; p = s.indexOf(p + 1)) out.push(p);
  return out;
}

function reference(hay: Buffer, needle: Buffer, from: number): number[] {
  const out: number[] = [];
  for (let p = hay.indexOf(needle, from); p >= 0; p = hay.indexOf(needle, p + 1)) out.push(p);
  return out;
}

describe("SubstringSearch", () => {
  it("assembles a module this Node.js accepts, so the SIMD path is the one under test", () => {
    expect(substringSearchModule()[0]).toBe(0);
    expect(new SubstringSearch(Buffer.from("ab")).simd).toBe(true);
  });

  it("finds what Buffer#indexOf finds, on small alphabets where near-misses abound", () => {
    const bytes = (min: number, max: number) =>
      fc.uint8Array({ minLength: min, maxLength: max, min: 0x61, max: 0x63 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(bytes(0, 300), bytes(1, 20), fc.nat(320), fc.boolean(), (hay, needle, from, simd) => {
        const s = new SubstringSearch(needle, simd);
        s.load(hay);
        expect(all(s, from)).toEqual(reference(hay, needle, from));
      }),
      { numRuns: 2000 },
    );
  });

  it("finds an empty needle at every position up to the end", () => {
    for (const simd of [true, false]) {
      const s = new SubstringSearch(Buffer.alloc(0), simd);
      s.load(Buffer.from("abc"));
      expect(all(s, 1)).toEqual([1, 2, 3]);
    }
  });

  it("handles a needle at every offset of a haystack, across the 16-byte steps and the tail", () => {
    for (const needle of ["x", "xy", "needle", "a longer needle than sixteen bytes"]) {
      const nb = Buffer.from(needle);
      for (let len = nb.length; len < 80; len++) {
        for (let at = 0; at + nb.length <= len; at++) {
          const hay = Buffer.alloc(len, "-");
          nb.copy(hay, at);
          const s = new SubstringSearch(nb);
          s.load(hay);
          expect(s.indexOf(0), `${needle} at ${at} of ${len}`).toBe(at);
          expect(s.indexOf(at + 1)).toBe(-1);
        }
      }
    }
  });

  it("grows its memory for large haystacks and searches them to the end", () => {
    const hay = Buffer.alloc(3 * 1024 * 1024 + 5, "a");
    hay.write("needle", hay.length - 6);
    const s = new SubstringSearch(Buffer.from("needle"));
    s.load(hay);
    expect(s.indexOf(0)).toBe(hay.length - 6);
    const small = Buffer.from("x needle");
    s.load(small);
    expect(s.indexOf(0)).toBe(2);
  });

  it("refuses to search a buffer another searcher replaced", () => {
    const a = new SubstringSearch(Buffer.from("ab"));
    const b = new SubstringSearch(Buffer.from("cd"));
    a.load(Buffer.from("xxab"));
    b.load(Buffer.from("cdxx"));
    expect(() => a.indexOf(0)).toThrow(/another search/);
    expect(b.indexOf(0)).toBe(0);
  });

  it("keeps its own copy of the needle", () => {
    const needle = Buffer.from("ab");
    const s = new SubstringSearch(needle);
    needle.write("zz");
    s.load(Buffer.from("..ab"));
    expect(s.indexOf(0)).toBe(2);
  });
});
