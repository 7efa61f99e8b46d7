import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Matcher } from "../../../model/matcher.js";
import { collectSeries } from "../../storage/series-set.js";
import { Block } from "./block.js";
import { ALL, dump, L, type SampleSeries, sourceOf, tempDir } from "./block.testlib.js";
import { BlockError } from "./block-errors.js";
import { writeBlock } from "./block-writer.js";

const eq = (n: string, v: string) => new Matcher("=", n, v);
const ts = (from: number, to: number, step: number) => {
  const out: number[] = [];
  for (let t = from; t <= to; t += step) out.push(t);
  return out;
};
const series = (rec: Record<string, string>, times: number[]): SampleSeries => ({
  labels: L(rec),
  ts: times,
  vs: Float64Array.from(times, (t) => t / 10),
});

// `wide` has one 2-sample chunk straddling [2000, 3000]; `steady` has samples every 100 ms in
// chunks of 5; `late` only after 5000.
const data = [
  series({ __name__: "wide", job: "w" }, [0, 10_000]),
  series({ __name__: "steady", job: "s", zone: "z1" }, ts(0, 9_000, 100)),
  series({ __name__: "late", job: "l" }, ts(5_000, 6_000, 500)),
];

let block: Block;
beforeAll(async () => {
  const dir = await tempDir();
  const meta = await writeBlock(dir, sourceOf(data, 5), { minTime: 0, maxTime: 10_001, syncMode: "never" });
  block = await Block.open(join(dir, meta!.ulid));
});
afterAll(async () => {
  await block.close();
});

const names = async (mint: number, maxt: number) =>
  (await dump(block.querier(mint, maxt), ALL)).map(([l]) => l);

describe("BlockQuerier", () => {
  it("returns series sorted by labels, samples trimmed to the inclusive range", async () => {
    const got = await dump(block.querier(2_000, 2_300));
    expect(got.map(([l]) => l)).toEqual(['steady{job="s", zone="z1"}']);
    expect(got[0]![1].map(([t]) => t)).toEqual([2_000, 2_100, 2_200, 2_300]);
    expect(await names(0, 10_000)).toEqual(['late{job="l"}', 'steady{job="s", zone="z1"}', 'wide{job="w"}']);
  });

  it("returns a series only if it has a sample in range, even when a chunk overlaps it", async () => {
    // `wide`'s chunk [0, 10000] overlaps [2000, 3000] but holds no sample there.
    expect(await names(2_000, 3_000)).toEqual(['steady{job="s", zone="z1"}']);
    expect(await names(10_000, 10_000)).toEqual(['wide{job="w"}']);
    expect(await names(9_001, 9_999)).toEqual([]);
    expect(await names(20_000, 30_000)).toEqual([]);
    expect(await names(3_000, 2_000)).toEqual([]);
  });

  it("narrows the range by hints.start and hints.end", async () => {
    const got = await dump(block.querier(0, 10_000), [eq("__name__", "steady")], { start: 450, end: 700 });
    expect(got[0]![1].map(([t]) => t)).toEqual([500, 600, 700]);
  });

  it("truncates to hints.limit with a warning", async () => {
    const q = block.querier(0, 10_000);
    const set = await q.select(ALL, { start: 0, end: 10_000, limit: 2 });
    expect(collectSeries(set).map((s) => s.labels.get("__name__"))).toEqual(["late", "steady"]);
    expect(set.warnings).toEqual(["results truncated to 2 series by the limit parameter"]);
    const exact = await q.select(ALL, { start: 0, end: 10_000, limit: 3 });
    expect(collectSeries(exact)).toHaveLength(3);
    expect(exact.warnings).toEqual([]);
    q.close();
  });

  it("gives empty iterators with hints.labelsOnly", async () => {
    const got = await dump(block.querier(0, 10_000), ALL, { start: 0, end: 10_000, labelsOnly: true });
    expect(got).toEqual([
      ['late{job="l"}', []],
      ['steady{job="s", zone="z1"}', []],
      ['wide{job="w"}', []],
    ]);
  });

  it("lists label names and values of matching series with a sample in range", async () => {
    const q = block.querier(0, 10_000);
    expect(await q.labelNames([])).toEqual(["__name__", "job", "zone"]);
    expect(await q.labelValues("job", [])).toEqual(["l", "s", "w"]);
    expect(await q.labelNames([eq("job", "l")])).toEqual(["__name__", "job"]);
    expect(await q.labelValues("zone", [eq("job", "l")])).toEqual([]);
    expect(await q.labelValues("nope", [])).toEqual([]);
    q.close();
    const narrow = block.querier(2_000, 3_000);
    expect(await narrow.labelNames([])).toEqual(["__name__", "job", "zone"]);
    expect(await narrow.labelValues("job", [])).toEqual(["s"]);
    expect(await narrow.labelValues("__name__", [new Matcher("!=", "job", "s")])).toEqual([]);
    narrow.close();
    const none = block.querier(20_000, 30_000);
    expect(await none.labelNames([])).toEqual([]);
    expect(await none.labelValues("job", [])).toEqual([]);
    none.close();
  });

  it("seeks forward across chunks and never backwards", async () => {
    const q = block.querier(1_000, 8_000);
    const s = (await q.select([eq("__name__", "steady")])).next()!;
    const it = s.iterator();
    expect(it.seek(0) && it.t).toBe(1_000); // clamped to the range
    expect(it.seek(1_250) && it.t).toBe(1_300);
    expect(it.seek(500) && it.t).toBe(1_300);
    expect(it.next() && it.t).toBe(1_400);
    expect(it.seek(6_050) && [it.t, it.v]).toEqual([6_100, 610]);
    expect(it.next() && it.t).toBe(6_200);
    expect(it.seek(8_000) && it.t).toBe(8_000);
    expect(it.seek(8_001)).toBe(false);
    expect(it.next()).toBe(false);
    // A fresh iterator seeks straight into a later chunk.
    const fresh = s.iterator();
    expect(fresh.seek(7_777) && fresh.t).toBe(7_800);
    expect(fresh.next() && fresh.t).toBe(7_900);
    q.close();
  });

  it("refuses use after close", async () => {
    const q = block.querier(0, 10_000);
    q.close();
    await expect(q.select(ALL)).rejects.toBeInstanceOf(BlockError);
    await expect(block.querier(0, 1).select([])).rejects.toThrow(/at least one matcher/);
  });
});
