import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Labels } from "../../../model/labels.js";
import { STALE_NAN } from "../../../model/stale.js";
import { Block } from "./block.js";
import { bitsOf, dump, L, type SampleSeries, sourceOf, tempDir } from "./block.testlib.js";
import type { BlockMeta } from "./block-meta.js";
import { BlockSetQuerier } from "./block-set-querier.js";
import { writeBlock } from "./block-writer.js";
import { compact } from "./compactor.js";

/** Values the property test draws from, by index (kept in a Float64Array so NaN payloads survive). */
const VALUES = Float64Array.of(0, 1, -0, 1.5, Number.NaN, STALE_NAN, Number.POSITIVE_INFINITY, 42.125, -7);
const NAMES = ["a", "b", "c", "d"];

/** One block of the property test: samples as (series, t, value index), a time offset, a chunk size. */
interface BlockSpec {
  samples: [number, number, number][];
  offset: number;
  perChunk: number;
}

/** The block's series: one sample per (series, t), the first drawn wins within a block. */
function seriesOf(spec: BlockSpec): SampleSeries[] {
  const bySeries = new Map<number, Map<number, number>>();
  for (const [s, t, v] of spec.samples) {
    const m = bySeries.get(s) ?? new Map<number, number>();
    bySeries.set(s, m);
    if (!m.has(spec.offset + t)) m.set(spec.offset + t, v);
  }
  return [...bySeries].map(([s, m]) => {
    const ts = [...m.keys()].sort((x, y) => x - y);
    return {
      labels: L({ __name__: NAMES[s]!, k: "v" }),
      ts,
      vs: Float64Array.from(ts, (t) => VALUES[m.get(t)!]!),
    };
  });
}

async function writeSpecs(dir: string, specs: readonly BlockSpec[]): Promise<Block[]> {
  const blocks: Block[] = [];
  for (const spec of specs) {
    const series = seriesOf(spec);
    const ts = series.flatMap((s) => s.ts);
    const meta = await writeBlock(dir, sourceOf(series, spec.perChunk), {
      minTime: Math.min(...ts),
      maxTime: Math.max(...ts) + 1,
      syncMode: "never",
    });
    blocks.push(await Block.open(join(dir, meta!.ulid)));
  }
  return blocks;
}

/** What reading the blocks must give: per series and time, the sample of the block written last. */
function expected(specs: readonly BlockSpec[]): [string, [number, bigint][]][] {
  const byLabels = new Map<string, { labels: Labels; samples: Map<number, bigint> }>();
  for (const spec of specs) {
    for (const s of seriesOf(spec)) {
      const e = byLabels.get(s.labels.key()) ?? { labels: s.labels, samples: new Map<number, bigint>() };
      byLabels.set(s.labels.key(), e);
      s.ts.forEach((t, i) => {
        e.samples.set(t, bitsOf(s.vs[i]!));
      });
    }
  }
  return [...byLabels.values()]
    .sort((a, b) => Labels.compare(a.labels, b.labels))
    .map((e) => [e.labels.toString(), [...e.samples].sort((a, b) => a[0] - b[0])]);
}

const blockSpec = fc.record({
  samples: fc.array(
    fc.tuple(
      fc.integer({ min: 0, max: NAMES.length - 1 }),
      fc.integer({ min: 0, max: 150 }),
      fc.integer({ min: 0, max: VALUES.length - 1 }),
    ),
    { minLength: 1, maxLength: 120 },
  ),
  // Blocks with the same offset overlap (usually, with many equal timestamps); different offsets never do.
  offset: fc.constantFrom(0, 1_000),
  perChunk: fc.integer({ min: 1, max: 12 }),
});

describe("compact", () => {
  it("returns exactly the deduplicated union of its blocks (newest block wins), as the merged read does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(blockSpec, { minLength: 1, maxLength: 4 }), async (specs) => {
        const dir = await tempDir();
        const blocks = await writeSpecs(dir, specs);
        const want = expected(specs);
        try {
          // Reading the blocks merged, as a block set does.
          const merged = new BlockSetQuerier(blocks.map((b) => b.querier(-1e15, 1e15)));
          expect(await dump(merged)).toEqual(want);
          const meta = await compact(dir, blocks, { syncMode: "never" });
          const out = await Block.open(join(dir, meta.ulid));
          try {
            expect(await dump(out.querier(-1e15, 1e15))).toEqual(want);
            expect(meta.stats.numSamples).toBe(want.reduce((n, [, s]) => n + s.length, 0));
            expect(meta.stats.numSeries).toBe(want.length);
            expect(meta.minTime).toBe(Math.min(...blocks.map((b) => b.meta.minTime)));
            expect(meta.maxTime).toBe(Math.max(...blocks.map((b) => b.meta.maxTime)));
          } finally {
            await out.close();
          }
        } finally {
          for (const b of blocks) await b.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it("keeps the sample of the block with the greatest ULID on equal timestamps", async () => {
    const dir = await tempDir();
    const m = (v: number): SampleSeries => ({
      labels: L({ __name__: "m" }),
      ts: [1000, 2000],
      vs: Float64Array.of(v, v),
    });
    const opts = { minTime: 0, maxTime: 3000, syncMode: "never" as const };
    // Written with explicit ULIDs so that the later ULID is the *first* block in the argument list.
    const newer = await writeBlock(dir, sourceOf([m(2)]), { ...opts, ulid: "01J00000000000000000000002" });
    const older = await writeBlock(dir, sourceOf([m(1)]), { ...opts, ulid: "01J00000000000000000000001" });
    const blocks = [await Block.open(join(dir, newer!.ulid)), await Block.open(join(dir, older!.ulid))];
    const meta = await compact(dir, blocks, { syncMode: "never" });
    const out = await Block.open(join(dir, meta.ulid));
    expect(await dump(out.querier(0, 3000))).toEqual([
      [
        "m",
        [
          [1000, bitsOf(2)],
          [2000, bitsOf(2)],
        ],
      ],
    ]);
    for (const b of [...blocks, out]) await b.close();
  });

  it("copies chunks that overlap nothing byte for byte, and records level, sources and parents", async () => {
    const dir = await tempDir();
    const mk = (name: string, from: number): SampleSeries => {
      const ts = Array.from({ length: 300 }, (_, i) => from + i * 10);
      return { labels: L({ __name__: name }), ts, vs: Float64Array.from(ts, (t) => Math.sin(t)) };
    };
    const opts = { syncMode: "never" as const };
    const a = await writeBlock(dir, sourceOf([mk("x", 0), mk("y", 0)], 50), {
      minTime: 0,
      maxTime: 5000,
      ...opts,
    });
    const b = await writeBlock(dir, sourceOf([mk("x", 5000), mk("z", 5000)], 70), {
      minTime: 5000,
      maxTime: 10_000,
      ...opts,
    });
    const blocks = [await Block.open(join(dir, a!.ulid)), await Block.open(join(dir, b!.ulid))];
    const meta = await compact(dir, blocks, opts);
    expect(meta.compaction).toEqual({
      level: 2,
      sources: [a!.ulid, b!.ulid].sort(),
      parents: [a!, b!].map((p: BlockMeta) => ({ ulid: p.ulid, minTime: p.minTime, maxTime: p.maxTime })),
    });
    expect([meta.minTime, meta.maxTime]).toEqual([0, 10_000]);
    expect(meta.stats).toEqual({
      numSamples: 1200,
      numSeries: 3,
      numChunks: a!.stats.numChunks + b!.stats.numChunks,
    });
    const out = await Block.open(join(dir, meta.ulid));
    const chunksOfSeries = (block: Block, name: string): Uint8Array[] => {
      const ids = block.index.postingsForMatchers([]);
      for (const id of ids) {
        const s = block.index.series(id);
        if (s.labels.get("__name__") === name) return s.chunks.map((c) => block.chunk(c.ref));
      }
      return [];
    };
    expect(chunksOfSeries(out, "x")).toEqual([
      ...chunksOfSeries(blocks[0]!, "x"),
      ...chunksOfSeries(blocks[1]!, "x"),
    ]);
    expect(chunksOfSeries(out, "y")).toEqual(chunksOfSeries(blocks[0]!, "y"));
    expect(chunksOfSeries(out, "z")).toEqual(chunksOfSeries(blocks[1]!, "z"));
    for (const blk of [...blocks, out]) await blk.close();
  });

  it("refuses an empty list of blocks", async () => {
    await expect(compact(await tempDir(), [])).rejects.toThrow(RangeError);
  });
});
