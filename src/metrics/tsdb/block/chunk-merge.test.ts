import { describe, expect, it } from "vitest";
import { STALE_NAN } from "../../../model/stale.js";
import { XorChunkAppender, XorChunkIterator } from "../chunk/index.js";
import { bitsOf, drainBits } from "./block.testlib.js";
import { mergeChunks } from "./chunk-merge.js";

describe("mergeChunks", () => {
  const chunk = (samples: [number, number][]): Uint8Array => {
    const a = new XorChunkAppender();
    for (const [t, v] of samples) a.append(t, v);
    return a.bytes().slice();
  };

  it("merges overlapping chunks, later chunk wins, values bit for bit", () => {
    // Values go through Float64Arrays only: a plain array would quieten the stale marker's NaN.
    const vs = Float64Array.of(1, STALE_NAN, 3, 20, STALE_NAN, -0);
    const older = new XorChunkAppender();
    const newer = new XorChunkAppender();
    for (let i = 0; i < 3; i++) older.append(i + 1, vs[i]!);
    for (let i = 0; i < 3; i++) newer.append(i + 2, vs[i + 3]!);
    const [c, ...rest] = mergeChunks([older.bytes().slice(), newer.bytes().slice()]);
    expect(rest).toEqual([]);
    expect([c!.minT, c!.maxT]).toEqual([1, 4]);
    expect(drainBits(new XorChunkIterator(c!.bytes))).toEqual([
      [1, bitsOf(1)],
      [2, bitsOf(20)],
      [3, bitsOf(STALE_NAN)],
      [4, bitsOf(-0)],
    ]);
    expect(bitsOf(STALE_NAN)).toBe(0x7ff0000000000002n);
  });

  it("cuts merged chunks at 120 samples", () => {
    const a = chunk(Array.from({ length: 200 }, (_, i): [number, number] => [2 * i, i]));
    const b = chunk(Array.from({ length: 200 }, (_, i): [number, number] => [2 * i + 1, i]));
    const out = mergeChunks([a, b]);
    expect(out.map((c) => (c.bytes[0]! << 8) | c.bytes[1]!)).toEqual([120, 120, 120, 40]);
    for (let i = 1; i < out.length; i++) expect(out[i]!.minT).toBeGreaterThan(out[i - 1]!.maxT);
    expect([out[0]!.minT, out.at(-1)!.maxT]).toEqual([0, 399]);
  });
});
