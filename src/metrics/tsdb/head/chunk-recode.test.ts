import { describe, expect, it } from "vitest";
import type { BlockChunk } from "../block/block-source.js";
import {
  XOR_CHUNK_MAX_BYTES,
  XOR_CHUNK_TARGET_SAMPLES,
  XorChunkAppender,
  XorChunkIterator,
} from "../chunk/index.js";
import { ChunkRecoder, chunkSamples, trimChunks } from "./chunk-recode.js";

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

function bitsOf(v: number): bigint {
  f64[0] = v;
  return u64[0]!;
}

function fromBits(bits: bigint): number {
  u64[0] = bits;
  return f64[0]!;
}

function decode(bytes: Uint8Array): [number, bigint][] {
  const out: [number, bigint][] = [];
  const it = new XorChunkIterator(bytes);
  while (it.next()) out.push([it.t, bitsOf(it.v)]);
  return out;
}

function chunk(ts: readonly number[]): XorChunkAppender {
  const app = new XorChunkAppender(16);
  for (const t of ts) app.append(t, t % 3 === 0 ? fromBits(0x7ff0000000000002n) : t / 4);
  return app;
}

function closed(ts: readonly number[]): BlockChunk {
  const app = chunk(ts);
  return { bytes: app.bytes().slice(), minT: app.minT, maxT: app.maxT };
}

describe("ChunkRecoder", () => {
  it("cuts at the target sample count and the byte limit, values bit for bit", () => {
    const r = new ChunkRecoder();
    const want: [number, bigint][] = [];
    for (let t = 0; t < 300; t++) {
      const bits = t % 7 === 0 ? 0x7ff0000000000002n : bitsOf(t * 1.1);
      r.append(t, fromBits(bits));
      want.push([t, bits]);
    }
    const chunks = r.finish();
    expect(chunks.map((c) => chunkSamples(c.bytes))).toEqual([120, 120, 60]);
    expect(chunks.flatMap((c) => decode(c.bytes))).toEqual(want);
    expect(chunks.map((c) => [c.minT, c.maxT])).toEqual([
      [0, 119],
      [120, 239],
      [240, 299],
    ]);
    expect(r.finish()).toEqual([]);
    // Incompressible values: the byte limit cuts first.
    for (let t = 0; t < XOR_CHUNK_TARGET_SAMPLES; t++) r.append(t * 7919, Math.random() * 1e300);
    for (const c of r.finish()) expect(c.bytes.length).toBeLessThanOrEqual(XOR_CHUNK_MAX_BYTES);
  });
});

describe("trimChunks", () => {
  it.each([
    // [closed chunks, open chunk, bound, closed left as [minT, maxT], open left, dropped]
    [
      [
        [0, 1, 2],
        [3, 4],
      ],
      [5, 6],
      0,
      [
        [0, 2],
        [3, 4],
      ],
      [5, 6],
      0,
    ],
    [
      [
        [0, 1, 2],
        [3, 4],
      ],
      [5, 6],
      3,
      [[3, 4]],
      [5, 6],
      3,
    ],
    [
      [
        [0, 1, 2],
        [3, 4],
      ],
      [5, 6],
      4,
      [[4, 4]],
      [5, 6],
      4,
    ],
    [
      [
        [0, 1, 2],
        [3, 4],
      ],
      [5, 6],
      5,
      undefined,
      [5, 6],
      5,
    ],
    [
      [
        [0, 1, 2],
        [3, 4],
      ],
      [5, 6, 7],
      6,
      undefined,
      [6, 7],
      6,
    ],
    [undefined, [5, 6, 7], 7, undefined, [7], 2],
  ] as const)("closed %j, open %j, bound %i", (cl, op, bound, wantClosed, wantOpen, dropped) => {
    const list = cl?.map((ts) => closed(ts));
    const open = chunk(op);
    const r = trimChunks(list, open, bound);
    expect(r.dropped).toBe(dropped);
    expect(r.closed?.map((c) => [c.minT, c.maxT])).toEqual(wantClosed);
    for (const c of r.closed ?? [])
      expect(decode(c.bytes)).toEqual(decode(closed(range(c.minT, c.maxT)).bytes));
    expect(decode(r.open.bytes())).toEqual(decode(chunk(wantOpen).bytes()));
    expect(r.open === open).toBe(op[0]! >= bound);
    if (list !== undefined && list[0]!.minT >= bound) expect(r.closed).toBe(list);
    // The open chunk stays appendable.
    r.open.append(100, 1);
    expect(decode(r.open.bytes()).at(-1)).toEqual([100, bitsOf(1)]);
  });
});

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = from; t <= to; t++) out.push(t);
  return out;
}
