import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { Labels } from "../../../model/labels.js";
import { Matcher } from "../../../model/matcher.js";
import { DEFAULT_LIMITS, SeriesLimiter, TenantLimits } from "../../limits/index.js";
import { AppendError } from "../../storage/interface.js";
import { collectSeries } from "../../storage/series-set.js";
import { XOR_CHUNK_MAX_BYTES, XOR_CHUNK_TARGET_SAMPLES, XorChunkIterator } from "../chunk/index.js";
import { Head } from "./head.js";
import { HeadAppender } from "./head-appender.js";
import { HeadQuerier } from "./head-querier.js";

const dirs: string[] = [];
const heads: Head[] = [];

afterAll(async () => {
  for (const h of heads) await h.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function openHead(dir?: string, outOfOrderWindowMs = 0): Promise<{ head: Head; dir: string }> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), "mirador-head-")));
  if (dir === undefined) dirs.push(d);
  const limiter = new SeriesLimiter("t", new TenantLimits(DEFAULT_LIMITS));
  const head = await Head.open(d, { limiter, outOfOrderWindowMs, syncMode: "never" });
  heads.push(head);
  return { head, dir: d };
}

const up = Labels.fromRecord({ __name__: "up" });
const sel = [new Matcher("=", "__name__", "up")];

async function read(head: Head, mint = -1e15, maxt = 1e15): Promise<[number, number][]> {
  const q = new HeadQuerier(head, mint, maxt);
  const out: [number, number][] = [];
  for (const s of collectSeries(await q.select(sel))) {
    const it = s.iterator();
    while (it.next()) out.push([it.t, it.v]);
  }
  return out;
}

async function write(head: Head, rows: [number, number][], labels = up): Promise<void> {
  const app = new HeadAppender(head);
  for (const [t, v] of rows) app.append(labels, t, v);
  await app.commit();
}

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AppendError ? err.code : String(err);
  }
  return undefined;
}

describe("Head out-of-order window", () => {
  it.each([
    // [newest, late sample, window, accepted?]
    [10_000, 9_000, 5_000, true],
    [10_000, 5_000, 5_000, true],
    [10_000, 4_999, 5_000, false],
    [10_000, 9_999, 0, false],
  ])("newest %i, late %i, window %i → accepted %s", async (newest, late, window, accepted) => {
    const { head } = await openHead(undefined, window);
    await write(head, [[newest, 1]]);
    const app = new HeadAppender(head);
    const code = codeOf(() => app.append(up, late, 2));
    expect(code).toBe(accepted ? undefined : "out_of_order");
    await app.commit();
    expect(await read(head)).toEqual(
      accepted
        ? [
            [late, 2],
            [newest, 1],
          ]
        : [[newest, 1]],
    );
  });

  it("names the setting in the refusal", async () => {
    const { head } = await openHead(undefined, 1000);
    await write(head, [[10_000, 1]]);
    expect(() => new HeadAppender(head).append(up, 1, 1)).toThrow(/metrics\.limits\.out_of_order_window/);
  });

  it("merges late samples into reads in order, survives a reopen, and ranges filter them", async () => {
    const { head, dir } = await openHead(undefined, 60_000);
    await write(head, [
      [10_000, 10],
      [20_000, 20],
      [30_000, 30],
    ]);
    await write(head, [
      [25_000, 25],
      [5_000, 5],
      [15_000, 15],
      [20_000, 99], // a timestamp the chunk holds: the chunk's sample wins
    ]);
    const want = [
      [5_000, 5],
      [10_000, 10],
      [15_000, 15],
      [20_000, 20],
      [25_000, 25],
      [30_000, 30],
    ];
    expect(await read(head)).toEqual(want);
    expect(await read(head, 12_000, 26_000)).toEqual(want.slice(2, 5));
    await head.close();
    const { head: again } = await openHead(dir, 60_000);
    expect(await read(again)).toEqual(want);
    const q = new HeadQuerier(again, 0, 1e15);
    const it = collectSeries(await q.select(sel))[0]!.iterator();
    expect(it.seek(14_000) && it.t).toBe(15_000);
    expect(it.seek(21_000) && it.v).toBe(25);
  });
});

describe("Head chunks", () => {
  it(`cuts a chunk every ${XOR_CHUNK_TARGET_SAMPLES} samples and reads across the boundaries`, async () => {
    const { head, dir } = await openHead();
    const rows: [number, number][] = [];
    for (let i = 0; i < 250; i++) rows.push([i * 15_000, i]);
    await write(head, rows.slice(0, 100));
    await write(head, rows.slice(100));
    const ref = head.refOf(up);
    expect(head.snapshot(ref, -1e15, 1e15)!.chunks.length).toBe(3);
    expect(await read(head)).toEqual(rows);
    // Ranges starting and ending inside chunks and at their edges.
    expect(await read(head, 119 * 15_000, 121 * 15_000)).toEqual(rows.slice(119, 122));
    expect(await read(head, 200 * 15_000, 1e15)).toEqual(rows.slice(200));
    // Only overlapping chunks are read.
    expect(head.snapshot(ref, 130 * 15_000, 135 * 15_000)!.chunks.length).toBe(1);
    const q = new HeadQuerier(head, 0, 1e15);
    const it = collectSeries(await q.select(sel))[0]!.iterator();
    expect(it.seek(239 * 15_000 + 1) && it.v).toBe(240);
    expect(it.next() && it.v).toBe(241);
    await head.close();
    const { head: again } = await openHead(dir);
    expect(await read(again)).toEqual(rows);
  });

  it("cuts before a chunk could pass the byte limit", async () => {
    const { head } = await openHead();
    const rows: [number, number][] = [];
    // Doubles of changing sign and magnitude, jittered timestamps: ~17 bytes a sample, >1024 per 120.
    let t = 0;
    for (let i = 0; i < 500; i++) {
      t += 1000 + Math.floor(Math.random() * 100_000);
      rows.push([t, (i % 2 ? -1 : 1) * Math.random() * 10 ** (i % 300)]);
    }
    await write(head, rows);
    const snap = head.snapshot(head.refOf(up), -1e15, 1e15)!;
    expect(snap.chunks.length).toBeGreaterThan(Math.ceil(500 / XOR_CHUNK_TARGET_SAMPLES));
    for (const c of snap.chunks) expect(c.length).toBeLessThanOrEqual(XOR_CHUNK_MAX_BYTES);
    expect(await read(head)).toEqual(rows);
  });
});

describe("Head chunks and block ranges", () => {
  async function openWithBlocks(blockDurationMs: number): Promise<Head> {
    const dir = await mkdtemp(join(tmpdir(), "mirador-head-"));
    dirs.push(dir);
    const limiter = new SeriesLimiter("t", new TenantLimits(DEFAULT_LIMITS));
    const head = await Head.open(dir, { limiter, outOfOrderWindowMs: 0, syncMode: "never", blockDurationMs });
    heads.push(head);
    return head;
  }

  const rangesOf = (head: Head) =>
    head.chunksIn(head.refOf(up), -1e15, 1e15)!.chunks.map((c) => [c.minT, c.maxT]);

  it.each([
    // [block duration, timestamps, chunks as [first, last] timestamps]
    [
      1000,
      [0, 400, 999, 1000, 1500, 2999, 3000],
      [
        [0, 999],
        [1000, 1500],
        [2999, 2999],
        [3000, 3000],
      ],
    ],
    [
      1000,
      [-1500, -1001, -1000, -1, 0],
      [
        [-1500, -1001],
        [-1000, -1],
        [0, 0],
      ],
    ],
    [
      7_200_000,
      [7_199_999, 7_200_000],
      [
        [7_199_999, 7_199_999],
        [7_200_000, 7_200_000],
      ],
    ],
    [7_200_000, [0, 15_000, 7_185_000], [[0, 7_185_000]]],
  ])("block duration %i: %j → chunks %j", async (block, ts, want) => {
    const head = await openWithBlocks(block);
    await write(
      head,
      ts.map((t) => [t, t]),
    );
    expect(rangesOf(head)).toEqual(want);
    expect(await read(head)).toEqual(ts.map((t) => [t, t]));
  });

  it("cuts at a range boundary before 120 samples, and at 120 inside a long range", async () => {
    const rows: [number, number][] = [];
    for (let i = 0; i < 300; i++) rows.push([i * 1000, i]);
    const short = await openWithBlocks(60_000);
    await write(short, rows);
    expect(rangesOf(short)).toEqual([0, 1, 2, 3, 4].map((k) => [k * 60_000, k * 60_000 + 59_000]));
    const samples = short.chunksIn(short.refOf(up), -1e15, 1e15)!.chunks.flatMap((c) => {
      const out: [number, number][] = [];
      const it = new XorChunkIterator(c.bytes);
      while (it.next()) out.push([it.t, it.v]);
      return out;
    });
    expect(samples).toEqual(rows);
    const long = await openWithBlocks(7_200_000);
    await write(long, rows);
    expect(rangesOf(long).length).toBe(Math.ceil(300 / XOR_CHUNK_TARGET_SAMPLES));
  });

  it("refuses a block duration that is not a positive whole number of ms", () => {
    const limiter = new SeriesLimiter("t", new TenantLimits(DEFAULT_LIMITS));
    for (const blockDurationMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => Head.create("/nonexistent", { limiter, outOfOrderWindowMs: 0, blockDurationMs })).toThrow(
        /blockDurationMs/,
      );
    }
  });
});

describe("Head large commits", () => {
  it("splits a commit of more than 2^20 samples over several SAMPLES records and replays it", async () => {
    const { head, dir } = await openHead();
    const app = new HeadAppender(head);
    const n = (1 << 20) + 5000;
    for (let i = 0; i < n; i++) app.append(up, i, i);
    await app.commit();
    expect(head.samples).toBe(n);
    await head.close();
    const { head: again } = await openHead(dir);
    expect(again.samples).toBe(n);
    const got = await read(again, n - 3, n);
    expect(got).toEqual([
      [n - 3, n - 3],
      [n - 2, n - 2],
      [n - 1, n - 1],
    ]);
  });
});

describe("Head concurrent appenders", () => {
  it("creates a series once, applies batches in commit order, and replays to the same state", async () => {
    const { head, dir } = await openHead();
    const a = new HeadAppender(head);
    const b = new HeadAppender(head);
    a.append(up, 1000, 1);
    a.append(up, 2000, 2);
    b.append(up, 2000, 3); // valid when appended; conflicts with a's sample once a commits first
    b.append(up, 3000, 3);
    await Promise.all([a.commit(), b.commit()]);
    expect(head.seriesCount).toBe(1);
    expect(head.dropped).toBe(1);
    const want = [
      [1000, 1],
      [2000, 2],
      [3000, 3],
    ];
    expect(await read(head)).toEqual(want);
    await head.close();
    const { head: again } = await openHead(dir);
    expect(again.seriesCount).toBe(1);
    expect(await read(again)).toEqual(want);
  });

  it("does not show a batch before its commit resolved", async () => {
    const { head } = await openHead();
    const app = new HeadAppender(head);
    app.append(up, 1000, 1);
    const done = app.commit();
    expect(await read(head)).toEqual([]);
    await done;
    expect(await read(head)).toEqual([[1000, 1]]);
  });
});

describe("Head replay equivalence", () => {
  it("rebuilds exactly the state that racing appenders left, drops and late samples included (property)", async () => {
    const row = fc.tuple(
      fc.integer({ min: 0, max: 3 }), // appender
      fc.integer({ min: 0, max: 2 }), // series
      fc.integer({ min: 0, max: 40 }), // t
      fc.integer({ min: 0, max: 2 }), // v
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 120 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
        async (rows, window, order) => {
          const { head, dir } = await openHead(undefined, window);
          const apps = [0, 1, 2, 3].map(() => new HeadAppender(head));
          for (const [a, s, t, v] of rows) {
            try {
              apps[a]!.append(Labels.fromRecord({ __name__: "up", s: String(s) }), t, v);
            } catch (err) {
              if (!(err instanceof AppendError)) throw err;
            }
          }
          const sorted = [0, 1, 2, 3].sort((x, y) => order[x]! - order[y]! || x - y);
          await Promise.all(sorted.map((i) => apps[i]!.commit()));
          const before = await readAll(head);
          for (const [, samples] of before) {
            for (let i = 1; i < samples.length; i++)
              expect(samples[i]![0]).toBeGreaterThan(samples[i - 1]![0]);
          }
          const stats = [head.seriesCount, head.samples];
          await head.close();
          const { head: again } = await openHead(dir, window);
          expect(await readAll(again)).toEqual(before);
          expect([again.seriesCount, again.samples]).toEqual(stats);
        },
      ),
      { numRuns: 40 },
    );
  });
});

async function readAll(head: Head): Promise<[string, [number, number][]][]> {
  const q = new HeadQuerier(head, -1e15, 1e15);
  const out: [string, [number, number][]][] = [];
  for (const s of collectSeries(await q.select(sel))) {
    const it = s.iterator();
    const samples: [number, number][] = [];
    while (it.next()) samples.push([it.t, it.v]);
    out.push([s.labels.toString(), samples]);
  }
  return out;
}
