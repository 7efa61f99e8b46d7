import { describe, expect, it } from "vitest";
import { OooBuffer } from "./ooo-buffer.js";

function bufferOf(ts: readonly number[]): OooBuffer {
  const b = new OooBuffer();
  const vs = Float64Array.from(ts, (t) => -t);
  for (let i = 0; i < ts.length; i++) b.insert(ts[i]!, vs, i);
  return b;
}

describe("OooBuffer.dropBefore", () => {
  it.each([
    // [held, bound, dropped, left]
    [[], 10, 0, []],
    [[5, 10, 15], 0, 0, [5, 10, 15]],
    [[5, 10, 15], 10, 1, [10, 15]],
    [[5, 10, 15], 11, 2, [15]],
    [[5, 10, 15], 100, 3, []],
    [Array.from({ length: 64 }, (_, i) => i), 62, 62, [62, 63]],
  ])("holding %j, before %i: drops %i, keeps %j", (held, bound, dropped, left) => {
    const b = bufferOf(held);
    expect(b.dropBefore(bound)).toBe(dropped);
    expect(b.length).toBe(left.length);
    expect(b.minT).toBe(left[0] ?? Number.POSITIVE_INFINITY);
    const all = b.slice(-Infinity, Infinity);
    expect(all === undefined ? [] : [...all.ts]).toEqual(left);
    expect(all === undefined ? [] : [...all.vs]).toEqual(left.map((t) => -t));
    // Still usable: inserts after a shrink.
    const one = Float64Array.of(7);
    expect(b.insert(1000, one, 0)).toBe("added");
    expect(b.insert(-1, one, 0)).toBe("added");
    expect(b.length).toBe(left.length + 2);
  });
});
