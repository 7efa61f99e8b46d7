import { mkdir, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Block } from "./block.js";
import { ALL, bitsOf, drainBits, dump, L, type SampleSeries, sourceOf, tempDir } from "./block.testlib.js";
import { BlockError } from "./block-errors.js";
import type { BlockMeta } from "./block-meta.js";
import { type BlockProblem, BlockSet } from "./block-set.js";
import { writeBlock } from "./block-writer.js";
import { compact } from "./compactor.js";

const H = 3_600_000;

/** Writes a block over `[fromH, toH)` hours with series `names`, a sample every 15 min of value `v`. */
async function writeHours(dir: string, fromH: number, toH: number, v = 1, names = ["m"]): Promise<BlockMeta> {
  const ts: number[] = [];
  for (let t = fromH * H; t < toH * H; t += 15 * 60_000) ts.push(t);
  const series: SampleSeries[] = names.map((n) => ({
    labels: L({ __name__: n }),
    ts,
    vs: new Float64Array(ts.length).fill(v),
  }));
  return (await writeBlock(dir, sourceOf(series), {
    minTime: fromH * H,
    maxTime: toH * H,
    syncMode: "never",
  }))!;
}

const open = (dir: string, onProblem?: (p: BlockProblem) => void) =>
  BlockSet.open(dir, { syncMode: "never", ...(onProblem ? { onProblem } : {}) });

/** Sample times of every series, in hours (15 min = 0.25). */
async function hours(set: BlockSet, mint = -1e15, maxt = 1e15): Promise<[string, number[]][]> {
  return (await dump(set.querier(mint, maxt))).map(([l, s]) => [l, s.map(([t]) => t / H)]);
}

const range = (fromH: number, toH: number) => {
  const out: number[] = [];
  for (let h = fromH; h < toH; h += 0.25) out.push(h);
  return out;
};

describe("BlockSet", () => {
  it("opens every block, ignores other names, and reports its span and size", async () => {
    const dir = await tempDir();
    const a = await writeHours(dir, 0, 2);
    const b = await writeHours(dir, 2, 4, 1, ["m", "n"]);
    await mkdir(join(dir, "wal"));
    await writeFile(join(dir, "wal", "00000001"), "not a block");
    const set = await open(dir);
    expect(set.blocks.map((x) => x.ulid)).toEqual([a.ulid, b.ulid]);
    expect([set.minTime, set.maxTime]).toEqual([0, 4 * H]);
    expect(set.totalBytes).toBe(set.blocks[0]!.sizeBytes + set.blocks[1]!.sizeBytes);
    expect(set.problems).toEqual([]);
    expect(await hours(set)).toEqual([
      ["m", range(0, 4)],
      ["n", range(2, 4)],
    ]);
    expect((await readdir(dir)).sort()).toEqual([a.ulid, b.ulid, "wal"].sort());
    await set.close();
  });

  it("an empty directory is an empty set", async () => {
    const set = await open(join(await tempDir(), "new"));
    expect([set.minTime, set.maxTime, set.totalBytes]).toEqual([undefined, undefined, 0]);
    expect(await hours(set)).toEqual([]);
    const q = set.querier(0, 1);
    expect(await q.labelNames([])).toEqual([]);
    q.close();
    await set.close();
  });

  it("deletes .tmp and .deleted leftovers at open and never reads them", async () => {
    const dir = await tempDir();
    const kept = await writeHours(dir, 0, 2);
    // Whole, valid blocks under the leftover names: only the names keep them from being read.
    const tmp = await writeHours(dir, 2, 4, 1, ["from_tmp"]);
    await rename(join(dir, tmp.ulid), join(dir, `${tmp.ulid}.tmp`));
    const del = await writeHours(dir, 4, 6, 1, ["from_deleted"]);
    await rename(join(dir, del.ulid), join(dir, `${del.ulid}.deleted`));
    // A half-removed one: its index is gone already.
    const half = await writeHours(dir, 6, 8, 1, ["half"]);
    await rename(join(dir, half.ulid), join(dir, `${half.ulid}.deleted`));
    await rename(join(dir, `${half.ulid}.deleted`, "index"), join(dir, "index.bak"));
    const set = await open(dir);
    expect(set.blocks.map((b) => b.ulid)).toEqual([kept.ulid]);
    expect(await hours(set)).toEqual([["m", range(0, 2)]]);
    expect((await readdir(dir)).sort()).toEqual([kept.ulid, "index.bak"].sort());
    expect(set.problems).toEqual([]);
    await set.close();
  });

  it("reports a block it cannot open, leaves it on disk and opens the others", async () => {
    const dir = await tempDir();
    const good = await writeHours(dir, 0, 2);
    const bad = await writeHours(dir, 2, 4, 1, ["bad"]);
    await writeFile(join(dir, bad.ulid, "meta.json"), '{"ulid": ');
    const seen: BlockProblem[] = [];
    const set = await open(dir, (p) => seen.push(p));
    expect(set.blocks.map((b) => b.ulid)).toEqual([good.ulid]);
    expect(seen).toHaveLength(1);
    expect(set.problems).toEqual(seen);
    expect(seen[0]!.dir).toBe(join(dir, bad.ulid));
    expect(seen[0]!.error).toBeInstanceOf(BlockError);
    expect((seen[0]!.error as BlockError).code).toBe("block_meta_invalid");
    expect(await hours(set)).toEqual([["m", range(0, 2)]]);
    expect(await readdir(dir)).toContain(bad.ulid);
    await set.close();
  });

  it("deletes at open the parents of a block, left by a compaction that crashed before removing them", async () => {
    const dir = await tempDir();
    const a = await writeHours(dir, 0, 2);
    const b = await writeHours(dir, 2, 4);
    const blocks = [await Block.open(join(dir, a.ulid)), await Block.open(join(dir, b.ulid))];
    const c = await compact(dir, blocks, { syncMode: "never" });
    for (const x of blocks) await x.close();
    // Even a parent that no longer opens is recognised by its name and removed.
    await writeFile(join(dir, a.ulid, "meta.json"), "garbage");
    const set = await open(dir);
    expect(set.blocks.map((x) => x.ulid)).toEqual([c.ulid]);
    expect(set.problems).toEqual([]);
    expect(await readdir(dir)).toEqual([c.ulid]);
    expect(await hours(set)).toEqual([["m", range(0, 4)]]);
    await set.close();
  });

  it("merges overlapping blocks in queries: one series, the later block's sample wins", async () => {
    const dir = await tempDir();
    await writeHours(dir, 0, 2, 1);
    await writeHours(dir, 1, 3, 2, ["m", "other"]);
    const set = await open(dir);
    const got = await dump(set.querier(0, 10 * H));
    expect(got.map(([l]) => l)).toEqual(["m", "other"]);
    const m = got[0]![1];
    expect(m.map(([t]) => t / H)).toEqual(range(0, 3));
    expect(m.filter(([t]) => t < H).every(([, v]) => v === bitsOf(1))).toBe(true);
    expect(m.filter(([t]) => t >= H).every(([, v]) => v === bitsOf(2))).toBe(true);
    const q = set.querier(0, 0.5 * H);
    expect(await q.labelValues("__name__", [])).toEqual(["m"]);
    q.close();
    const lq = set.querier(0, 10 * H);
    const limited = await lq.select(ALL, { start: 0, end: 10 * H, limit: 1 });
    expect(limited.warnings).toEqual(["results truncated to 1 series by the limit parameter"]);
    expect(limited.next()?.labels.toString()).toBe("m");
    expect(limited.next()).toBeUndefined();
    lq.close();
    await set.close();
  });

  it("compacts, swapping the new block in; a querier holding the parents keeps reading them until it closes", async () => {
    const dir = await tempDir();
    const metas = [await writeHours(dir, 0, 2), await writeHours(dir, 2, 4), await writeHours(dir, 4, 6)];
    metas.push(await writeHours(dir, 6, 8)); // the newest, set aside by the planner
    const set = await open(dir);
    const held = set.querier(0, 10 * H);
    const series = (await held.select(ALL)).next()!;

    const made = await set.compact([2 * H, 6 * H]);
    expect(made).toHaveLength(1);
    expect(made[0]!.compaction.parents.map((p) => p.ulid)).toEqual(metas.slice(0, 3).map((m) => m.ulid));
    expect(made[0]!.compaction.level).toBe(2);
    expect(set.blocks.map((b) => b.ulid)).toEqual([made[0]!.ulid, metas[3]!.ulid]);
    // The parents are out of the set and renamed, but still readable by the querier holding them.
    const names = await readdir(dir);
    for (const m of metas.slice(0, 3)) {
      expect(names).toContain(`${m.ulid}.deleted`);
      expect(names).not.toContain(m.ulid);
    }
    expect(drainBits(series.iterator()).map(([t]) => t / H)).toEqual(range(0, 8));
    held.close();
    await set.settle();
    expect((await readdir(dir)).sort()).toEqual([made[0]!.ulid, metas[3]!.ulid].sort());
    expect(await hours(set)).toEqual([["m", range(0, 8)]]);
    expect(await set.compact([2 * H, 6 * H])).toEqual([]);
    await set.close();
    // And after a restart, the same.
    const again = await open(dir);
    expect(again.blocks.map((b) => b.ulid)).toEqual([made[0]!.ulid, metas[3]!.ulid]);
    await again.close();
  });

  it("compacts overlapping blocks first, then up the ranges, until nothing is left to do", async () => {
    const dir = await tempDir();
    await writeHours(dir, 0, 2, 1);
    await writeHours(dir, 1, 2, 5); // overlaps the first
    await writeHours(dir, 2, 4);
    await writeHours(dir, 4, 6);
    await writeHours(dir, 6, 8);
    const set = await open(dir);
    const made = await set.compact([2 * H, 6 * H]);
    expect(made).toHaveLength(2);
    expect(made[0]!.compaction.parents).toHaveLength(2); // the vertical merge
    expect(made[1]!.compaction.level).toBe(3); // its result, merged up with [2,4) and [4,6)
    expect(set.blocks.map((b) => [b.meta.minTime / H, b.meta.maxTime / H])).toEqual([
      [0, 6],
      [6, 8],
    ]);
    const got = await dump(set.querier(0, 10 * H));
    expect(got[0]![1].map(([t, v]) => [t / H, v === bitsOf(5) ? 5 : 1])).toEqual(
      range(0, 8).map((h) => [h, h >= 1 && h < 2 ? 5 : 1]),
    );
    await set.settle();
    expect(await readdir(dir)).toHaveLength(2);
    await set.close();
  });

  it("applies retention by time and by size", async () => {
    const dir = await tempDir();
    const metas = [];
    for (let h = 0; h < 10; h += 2) metas.push(await writeHours(dir, h, h + 2));
    const set = await open(dir);
    const newestTwo = set.blocks[3]!.sizeBytes + set.blocks[4]!.sizeBytes;
    // Newest data at 10 h; keep 5 h: blocks ending at or before 5 h go.
    const byTime = await set.applyRetention({ retentionMs: 5 * H });
    expect(byTime).toEqual([
      { ulid: metas[0]!.ulid, reason: "time" },
      { ulid: metas[1]!.ulid, reason: "time" },
    ]);
    expect(set.minTime).toBe(4 * H);
    await set.settle();
    expect(await readdir(dir)).toHaveLength(3);
    const bySize = await set.applyRetention({ retentionBytes: newestTwo });
    expect(bySize).toEqual([{ ulid: metas[2]!.ulid, reason: "size" }]);
    expect(set.totalBytes).toBe(set.blocks.reduce((n, b) => n + b.sizeBytes, 0));
    expect(await hours(set)).toEqual([["m", range(6, 10)]]);
    expect(await set.applyRetention({})).toEqual([]);
    await set.settle();
    expect(await readdir(dir)).toHaveLength(2);
    await set.close();
  });

  it("queries only the blocks overlapping the range", async () => {
    const dir = await tempDir();
    await writeHours(dir, 0, 2, 1, ["early"]);
    await writeHours(dir, 2, 4, 1, ["late"]);
    const set = await open(dir);
    expect((await hours(set, 2 * H, 3 * H)).map(([l]) => l)).toEqual(["late"]);
    expect((await hours(set, H, 2 * H)).map(([l]) => l)).toEqual(["early", "late"]);
    // A block's maxTime is exclusive: [0, 2 h) holds nothing at 2 h.
    const q = set.querier(2 * H, 2 * H);
    expect(await q.labelNames([])).toEqual(["__name__"]);
    expect(await q.labelValues("__name__", [])).toEqual(["late"]);
    q.close();
    await set.close();
  });

  it("after close: refuses new work, and blocks still read close with their last querier", async () => {
    const dir = await tempDir();
    await writeHours(dir, 0, 2);
    const set = await open(dir);
    const q = set.querier(0, 2 * H);
    const s = (await q.select(ALL)).next()!;
    await set.close();
    await set.close(); // idempotent
    expect(() => set.querier(0, 1)).toThrow(BlockError);
    await expect(set.compact()).rejects.toMatchObject({ code: "block_closed" });
    await expect(set.applyRetention({ retentionMs: 1 })).rejects.toMatchObject({ code: "block_closed" });
    expect(drainBits(s.iterator())).toHaveLength(8);
    q.close();
    await set.settle();
    expect(() => s.iterator().next()).toThrow(BlockError);
  });

  it("add() takes in a block written after open", async () => {
    const dir = await tempDir();
    const set = await open(dir);
    const meta = await writeHours(dir, 0, 2);
    const block = await set.add(meta);
    expect(block.ulid).toBe(meta.ulid);
    expect(await hours(set)).toEqual([["m", range(0, 2)]]);
    // A block that is not there is refused, and the set stays as it was.
    await expect(set.add({ ...meta, ulid: "01J00000000000000000000000" })).rejects.toMatchObject({
      code: "block_meta_invalid",
    });
    expect(set.blocks).toHaveLength(1);
    await set.close();
  });
});
