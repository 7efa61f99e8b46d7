import { open, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Matcher } from "../../../model/matcher.js";
import { ChunkFileError } from "../chunk/index.js";
import { IndexCorruptedError } from "../index/index.js";
import { Block } from "./block.js";
import { dump, L, type SampleSeries, sourceOf, tempDir } from "./block.testlib.js";
import { BlockError } from "./block-errors.js";
import { type BlockMeta, parseBlockMeta } from "./block-meta.js";
import { writeBlock } from "./block-writer.js";

const series: SampleSeries[] = [
  { labels: L({ __name__: "a" }), ts: [1000, 2000, 3000], vs: Float64Array.of(1, 2, 3) },
  { labels: L({ __name__: "b" }), ts: [1500, 2500], vs: Float64Array.of(4, 5) },
];

async function written(): Promise<{ dir: string; meta: BlockMeta }> {
  const parent = await tempDir();
  const meta = (await writeBlock(parent, sourceOf(series), {
    minTime: 0,
    maxTime: 10_000,
    syncMode: "never",
  }))!;
  return { dir: join(parent, meta.ulid), meta };
}

async function editMeta(dir: string, edit: (m: Record<string, unknown>) => void): Promise<void> {
  const path = join(dir, "meta.json");
  const m = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  edit(m);
  await writeFile(path, JSON.stringify(m));
}

describe("Block", () => {
  it("opens a block: meta, index, size on disk", async () => {
    const { dir, meta } = await written();
    const block = await Block.open(dir);
    expect(block.meta).toEqual(meta);
    expect(block.ulid).toBe(meta.ulid);
    expect(block.index.seriesCount).toBe(2);
    const files = ["meta.json", "index", "chunks/000001"];
    let size = 0;
    for (const f of files) size += (await stat(join(dir, f))).size;
    expect(block.sizeBytes).toBe(size);
    expect(block.overlaps(9_999, 20_000)).toBe(true);
    expect(block.overlaps(10_000, 20_000)).toBe(false); // maxTime is exclusive
    expect(block.overlaps(-5, -1)).toBe(false);
    expect(block.overlaps(-5, 0)).toBe(true);
    await block.close();
    expect(block.closed).toBe(true);
    expect(() => block.chunk(8)).toThrow(BlockError);
    await block.close(); // idempotent
  });

  it.each<[string, (m: Record<string, unknown>) => void, RegExp]>([
    ["a wrong version", (m) => (m.version = 2), /unknown version 2/],
    ["maxTime ≤ minTime", (m) => (m.maxTime = m.minTime), /is not before maxTime/],
    ["a non-integer time", (m) => (m.minTime = "0"), /minTime is not an integer/],
    ["a negative count", (m) => ((m.stats as Record<string, unknown>).numSamples = -1), /numSamples/],
    ["a bad source", (m) => ((m.compaction as Record<string, unknown>).sources = ["x"]), /sources/],
    ["level 0", (m) => ((m.compaction as Record<string, unknown>).level = 0), /level/],
    ["another ULID", (m) => (m.ulid = "01J00000000000000000000000"), /not the directory's name/],
  ])("refuses meta.json with %s: block_meta_invalid", async (_name, edit, message) => {
    const { dir } = await written();
    await editMeta(dir, edit);
    const err = await Block.open(dir).catch((e) => e);
    expect(err).toBeInstanceOf(BlockError);
    expect((err as BlockError).code).toBe("block_meta_invalid");
    expect((err as Error).message).toMatch(message);
  });

  it("refuses a missing or unparsable meta.json", async () => {
    const { dir } = await written();
    await writeFile(join(dir, "meta.json"), "{ not json");
    await expect(Block.open(dir)).rejects.toMatchObject({ code: "block_meta_invalid" });
    await rename(join(dir, "meta.json"), join(dir, "meta.json.bak"));
    await expect(Block.open(dir)).rejects.toMatchObject({ code: "block_meta_invalid" });
  });

  it("ignores unknown meta fields but checks the series count against the index", async () => {
    const { dir } = await written();
    await editMeta(dir, (m) => (m.extra = { from: "a newer writer" }));
    await (await Block.open(dir)).close();
    await editMeta(dir, (m) => ((m.stats as Record<string, unknown>).numSeries = 3));
    await expect(Block.open(dir)).rejects.toMatchObject({ code: "block_inconsistent" });
  });

  it("refuses a damaged index", async () => {
    const { dir } = await written();
    const path = join(dir, "index");
    const bytes = await readFile(path);
    bytes[10] = bytes[10]! ^ 0xff;
    await writeFile(path, bytes);
    await expect(Block.open(dir)).rejects.toBeInstanceOf(IndexCorruptedError);
  });

  it("a corrupted chunk byte gives ChunkFileError on read, never wrong samples", async () => {
    const { dir } = await written();
    // Flip a byte inside the data of the first chunk (the header is 8 bytes, then len and encoding).
    const fh = await open(join(dir, "chunks", "000001"), "r+");
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, 14);
    b[0] = b[0]! ^ 0x01;
    await fh.write(b, 0, 1, 14);
    await fh.close();
    const block = await Block.open(dir);
    const a = (await block.querier(0, 10_000).select([new Matcher("=", "__name__", "a")])).next()!;
    expect(a.labels.toString()).toBe("a");
    const it = a.iterator();
    const err = await Promise.resolve()
      .then(() => it.next())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChunkFileError);
    expect((err as ChunkFileError).code).toBe("chunk_checksum");
    expect((err as ChunkFileError).file).toBe(join(dir, "chunks", "000001"));
    // The other series' chunk is intact and reads normally.
    const other = await dump(block.querier(0, 10_000), [new Matcher("=", "__name__", "b")]);
    expect(other.map(([, s]) => s.map(([t]) => t))).toEqual([[1500, 2500]]);
    await block.close();
  });

  it("checks meta.json's parser on its own", () => {
    expect(() => parseBlockMeta("[]", "x/meta.json")).toThrow(/not a JSON object/);
  });
});
