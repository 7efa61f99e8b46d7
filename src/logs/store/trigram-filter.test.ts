import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TrigramFilter, TrigramFilterBuilder, trigramFilterBits } from "./trigram-filter.js";

describe("TrigramFilter", () => {
  it("never rules out a chunk whose lines contain the needle (no false negatives)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 40 }), { minLength: 1, maxLength: 30 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (lines, pick, from, len) => {
          const line = lines[pick % lines.length]!;
          const start = line.length === 0 ? 0 : from % line.length;
          const needle = line.slice(start, start + (len % 20));
          const f = TrigramFilter.build(lines, 512);
          expect(f.mayContain(needle)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("still never rules out a needle of its lines once folded down from a larger size", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: 30 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(8, 64, 512, 1024),
        (lines, pick, from, bits) => {
          const b = new TrigramFilterBuilder(2048);
          for (const l of lines) {
            const bytes = Buffer.from(l, "utf8");
            b.addLine(bytes, 0, bytes.length);
          }
          const f = b.finish(bits);
          expect(f.bytes.length * 8).toBe(bits);
          const line = lines[pick % lines.length]!;
          const start = line.length === 0 ? 0 : from % line.length;
          expect(f.mayContain(line.slice(start, start + 12))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rules out most chunks that lack a long needle", () => {
    const lines = Array.from(
      { length: 2000 },
      (_, i) => `level=info msg="request handled" path=/api/v1/items/${i} status=200`,
    );
    const f = TrigramFilter.build(lines, trigramFilterBits(lines.join("").length));
    expect(f.mayContain("status=200")).toBe(true);
    expect(f.mayContain("slow consumer detected")).toBe(false);
    expect(f.mayContain("error")).toBe(true); // too short to judge
    expect(f.mayContain("deadbeef")).toBe(true); // hex only: never judged
    const multi = TrigramFilter.build(["first part\nsecond part"], 512);
    expect(multi.mayContain("part\nsecond")).toBe(true);
    expect(multi.mayContain("t part")).toBe(true);
  });

  it("sizes filters from 512 to 4096 bits by the chunk's line bytes", () => {
    expect(trigramFilterBits(0)).toBe(512);
    expect(trigramFilterBits(100_000)).toBe(1024);
    expect(trigramFilterBits(400_000)).toBe(4096);
    expect(trigramFilterBits(10_000_000)).toBe(4096);
    expect(() => new TrigramFilter(new Uint8Array(3))).toThrow(RangeError);
  });
});
