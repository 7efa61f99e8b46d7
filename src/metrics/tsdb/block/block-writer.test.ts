import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STALE_NAN } from "../../../model/stale.js";
import { IndexWriteError } from "../index/index.js";
import { Block } from "./block.js";
import {
  bitsOf,
  chunksOf,
  dump,
  expectedDump,
  L,
  prng,
  type SampleSeries,
  sourceOf,
  tempDir,
} from "./block.testlib.js";
import { BlockError } from "./block-errors.js";
import { parseBlockMeta } from "./block-meta.js";
import type { BlockSeries, BlockSource } from "./block-source.js";
import { writeBlock } from "./block-writer.js";
import { isUlid } from "./ulid.js";

/** `n` series of up to 600 samples at about 15 s, with some special values, including stale markers. */
function makeSeries(n: number, seed = 1): SampleSeries[] {
  const rnd = prng(seed);
  const out: SampleSeries[] = [];
  for (let i = 0; i < n; i++) {
    const count = 1 + rnd(600);
    const ts: number[] = [];
    const vs = new Float64Array(count);
    let t = rnd(5) * 1000;
    for (let k = 0; k < count; k++) {
      ts.push(t);
      const r = rnd(20);
      vs[k] = r === 0 ? STALE_NAN : r === 1 ? Number.NaN : r === 2 ? -0 : r === 3 ? Infinity : rnd(1e6) / 7;
      t += 15_000 + (rnd(3) === 0 ? rnd(5) : 0);
    }
    out.push({ labels: L({ __name__: `m${i % 7}`, instance: `i${i}`, job: i % 2 ? "a" : "b" }), ts, vs });
  }
  return out;
}

describe("writeBlock", () => {
  it("writes a block that reads back every sample bit for bit, stale markers included", async () => {
    const dir = await tempDir();
    const series = makeSeries(200);
    const maxTime = Math.max(...series.map((s) => s.ts.at(-1)!)) + 1;
    // Small segments, so the block spans several chunk files.
    const meta = await writeBlock(dir, sourceOf(series), {
      minTime: 0,
      maxTime,
      syncMode: "never",
      segmentBytes: 64 * 1024,
    });
    expect(meta).toBeDefined();
    expect(isUlid(meta!.ulid)).toBe(true);
    const samples = series.reduce((n, s) => n + s.ts.length, 0);
    const chunks = series.reduce((n, s) => n + Math.ceil(s.ts.length / 120), 0);
    expect(meta!.stats).toEqual({ numSamples: samples, numSeries: 200, numChunks: chunks });
    expect(meta!.compaction).toEqual({ level: 1, sources: [meta!.ulid], parents: [] });
    expect((await readdir(join(dir, meta!.ulid, "chunks"))).length).toBeGreaterThan(1);
    expect(await readdir(dir)).toEqual([meta!.ulid]); // no .tmp left

    const onDisk = parseBlockMeta(await readFile(join(dir, meta!.ulid, "meta.json"), "utf8"), "meta.json");
    expect(onDisk).toEqual(meta);

    const block = await Block.open(join(dir, meta!.ulid));
    try {
      const got = await dump(block.querier(-1e15, 1e15));
      expect(got).toEqual(expectedDump(series));
      // The stale markers really are there (and not just any NaN).
      const stale = got.flatMap(([, s]) => s).filter(([, bits]) => bits === 0x7ff0000000000002n);
      expect(stale.length).toBeGreaterThan(0);
      expect(bitsOf(STALE_NAN)).toBe(0x7ff0000000000002n);
    } finally {
      await block.close();
    }
  });

  it("streams an async source", async () => {
    const dir = await tempDir();
    const series = makeSeries(20, 2);
    const sync = sourceOf(series);
    const source: BlockSource = {
      async *series() {
        for (const s of sync.series() as Iterable<BlockSeries>) {
          await Promise.resolve();
          yield s;
        }
      },
    };
    const meta = await writeBlock(dir, source, { minTime: 0, maxTime: 1e8, syncMode: "never" });
    const block = await Block.open(join(dir, meta!.ulid));
    expect(await dump(block.querier(0, 1e8))).toEqual(expectedDump(series));
    await block.close();
  });

  it("records level, sources and parents", async () => {
    const dir = await tempDir();
    const s: SampleSeries = { labels: L({ __name__: "x" }), ts: [10], vs: Float64Array.of(1) };
    const meta = await writeBlock(dir, sourceOf([s]), {
      minTime: 0,
      maxTime: 100,
      level: 3,
      sources: ["01J00000000000000000000002", "01J00000000000000000000001"],
      parents: [{ ulid: "01J00000000000000000000002", minTime: 0, maxTime: 100 }],
      ulid: "01J00000000000000000000009",
      syncMode: "never",
    });
    expect(meta).toMatchObject({
      ulid: "01J00000000000000000000009",
      minTime: 0,
      maxTime: 100,
      compaction: {
        level: 3,
        sources: ["01J00000000000000000000001", "01J00000000000000000000002"],
        parents: [{ ulid: "01J00000000000000000000002", minTime: 0, maxTime: 100 }],
      },
      version: 1,
    });
  });

  it("writes nothing for an empty source", async () => {
    const dir = await tempDir();
    expect(await writeBlock(dir, { series: () => [] }, { minTime: 0, maxTime: 10 })).toBeUndefined();
    const noChunks = { series: () => [{ labels: L({ __name__: "x" }), chunks: [] }] };
    expect(await writeBlock(dir, noChunks, { minTime: 0, maxTime: 10 })).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  const one = (ts: number[]): SampleSeries => ({
    labels: L({ __name__: "x" }),
    ts,
    vs: new Float64Array(ts.length),
  });

  it.each([
    ["before minTime", [99, 150], /outside the block's range \[100, 200\)/],
    ["at maxTime (exclusive)", [150, 200], /outside the block's range/],
    ["after maxTime", [150, 250], /outside the block's range/],
  ])("refuses a chunk %s and leaves no directory", async (_name, ts, message) => {
    const dir = await tempDir();
    const err = await writeBlock(dir, sourceOf([one(ts)]), { minTime: 100, maxTime: 200 }).catch((e) => e);
    expect(err).toBeInstanceOf(BlockError);
    expect((err as BlockError).code).toBe("block_invalid_chunk");
    expect((err as Error).message).toMatch(message);
    expect(await readdir(dir)).toEqual([]);
  });

  it("accepts a chunk ending at maxTime − 1", async () => {
    const dir = await tempDir();
    expect(await writeBlock(dir, sourceOf([one([100, 199])]), { minTime: 100, maxTime: 200 })).toBeDefined();
  });

  it("refuses overlapping or empty chunks", async () => {
    const dir = await tempDir();
    const s = one([1, 2, 3, 4]);
    const [a, b] = chunksOf(s, 2);
    const overlapping = { series: () => [{ labels: s.labels, chunks: [b!, a!] }] };
    await expect(writeBlock(dir, overlapping, { minTime: 0, maxTime: 10 })).rejects.toMatchObject({
      code: "block_invalid_chunk",
    });
    const empty = {
      series: () => [{ labels: s.labels, chunks: [{ minT: 1, maxT: 1, bytes: new Uint8Array(2) }] }],
    };
    await expect(writeBlock(dir, empty, { minTime: 0, maxTime: 10 })).rejects.toThrow(/holds no samples/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses series out of label order, through the index writer", async () => {
    const dir = await tempDir();
    const a = one([1]);
    const b = { ...one([1]), labels: L({ __name__: "y" }) };
    const source = { series: () => [b, a].map((s) => ({ labels: s.labels, chunks: chunksOf(s) })) };
    await expect(writeBlock(dir, source, { minTime: 0, maxTime: 10 })).rejects.toBeInstanceOf(
      IndexWriteError,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it("removes its temporary directory when the source fails midway", async () => {
    const dir = await tempDir();
    const first = one([1, 2, 3]);
    const source: BlockSource = {
      *series() {
        yield { labels: first.labels, chunks: chunksOf(first) };
        throw new Error("the head went away");
      },
    };
    await expect(writeBlock(dir, source, { minTime: 0, maxTime: 10 })).rejects.toThrow("the head went away");
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses bad options and an existing block", async () => {
    const dir = await tempDir();
    const src = sourceOf([one([1])]);
    for (const opts of [
      { minTime: 10, maxTime: 10 },
      { minTime: 0.5, maxTime: 10 },
      { minTime: 0, maxTime: 10, level: 0 },
      { minTime: 0, maxTime: 10, ulid: "not-a-ulid" },
      { minTime: 0, maxTime: 10, sources: ["x"] },
      { minTime: 0, maxTime: 10, sources: [] },
    ]) {
      await expect(writeBlock(dir, src, opts)).rejects.toMatchObject({ code: "block_invalid_options" });
    }
    const meta = await writeBlock(dir, src, { minTime: 0, maxTime: 10, syncMode: "never" });
    await expect(writeBlock(dir, src, { minTime: 0, maxTime: 10, ulid: meta!.ulid })).rejects.toThrow(
      /already exists/,
    );
    expect(await readdir(dir)).toEqual([meta!.ulid]);
  });
});
