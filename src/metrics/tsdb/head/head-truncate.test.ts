import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { Labels } from "../../../model/labels.js";
import { Matcher } from "../../../model/matcher.js";
import { STALE_NAN_BITS } from "../../../model/stale.js";
import { DEFAULT_LIMITS, SeriesLimiter, TenantLimits } from "../../limits/index.js";
import { AppendError } from "../../storage/interface.js";
import { collectSeries } from "../../storage/series-set.js";
import { Head, type HeadOptions } from "./head.js";
import { HeadAppender } from "./head-appender.js";
import { HeadQuerier } from "./head-querier.js";

const dirs: string[] = [];
const heads: Head[] = [];

afterAll(async () => {
  for (const h of heads) await h.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

type Opts = Partial<Omit<HeadOptions, "limiter">>;

async function newDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "mirador-head-trunc-"));
  dirs.push(d);
  return d;
}

async function openHead(dir: string, opts: Opts = {}): Promise<{ head: Head; limiter: SeriesLimiter }> {
  const limiter = new SeriesLimiter("t", new TenantLimits(DEFAULT_LIMITS));
  const head = await Head.open(dir, {
    limiter,
    outOfOrderWindowMs: 0,
    syncMode: "never",
    blockDurationMs: 1000,
    ...opts,
  });
  heads.push(head);
  return { head, limiter };
}

/** A sample whose value is given by its 64 bits, so NaN payloads never pass through a plain array. */
type Row = readonly [t: number, bits: bigint];

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

function fromBits(bits: bigint): number {
  u64[0] = bits;
  return f64[0]!;
}

function num(x: number): bigint {
  f64[0] = x;
  return u64[0]!;
}

const series = (name: string, extra: Record<string, string> = {}) =>
  Labels.fromRecord({ __name__: name, job: "x", ...extra });

function appendRows(app: HeadAppender, labels: Labels, rows: readonly Row[]): void {
  for (const [t, bits] of rows) app.append(labels, t, fromBits(bits));
}

async function write(head: Head, labels: Labels, rows: readonly Row[]): Promise<void> {
  const app = new HeadAppender(head);
  appendRows(app, labels, rows);
  await app.commit();
}

const rowsOf = (ts: readonly number[], value: (t: number) => bigint = num): Row[] =>
  ts.map((t) => [t, value(t)] as const);

const range = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let t = from; t < to; t += step) out.push(t);
  return out;
};

const JOB = new Set(["job"]);

/** Every series with a sample, by its text form without the `job` label, with its samples as bits. */
async function readAll(head: Head, mint = -1e15, maxt = 1e15): Promise<Map<string, Row[]>> {
  const q = new HeadQuerier(head, mint, maxt);
  const out = new Map<string, Row[]>();
  for (const s of collectSeries(await q.select([new Matcher("=~", "__name__", ".+")]))) {
    const it = s.iterator();
    const rows: Row[] = [];
    while (it.next()) {
      f64[0] = it.v;
      rows.push([it.t, u64[0]!]);
    }
    out.set(s.labels.without(JOB).toString(), rows);
  }
  return out;
}

function candidates(head: Head, name: string, value: string): number[] {
  return [...(head.postings.candidates([new Matcher("=", name, value)]) ?? [])];
}

describe("Head.truncate in memory", () => {
  it("drops samples before mint and removes the series left empty from every index", async () => {
    const { head, limiter } = await openHead(await newDir(), { outOfOrderWindowMs: 10_000 });
    const gone = series("gone");
    const kept = series("kept");
    const late = series("late");
    await write(head, gone, rowsOf(range(0, 1000, 100)));
    await write(head, kept, rowsOf(range(500, 1600, 100)));
    await write(head, late, rowsOf([3000]));
    await write(head, late, rowsOf([800, 1200, 2500])); // late samples, before and after mint
    head.admit(series("empty"));
    const emptyRef = head.createSeries(series("empty"));
    const goneRef = head.refOf(gone);
    expect(head.seriesCount).toBe(4);
    expect(limiter.total).toBe(4);
    const limitBefore = head.refLimit;

    const r = await head.truncate(1000);
    expect(r).toMatchObject({ mint: 1000, removedSeries: 2, removedSamples: 10 + 5 + 1 });
    expect(head.minValidTime).toBe(1000);
    expect(head.seriesCount).toBe(2);
    expect(limiter.total).toBe(2);
    expect(head.refLimit).toBe(limitBefore);
    for (const ref of [goneRef, emptyRef]) {
      expect(head.labelsOf(ref)).toBeUndefined();
      expect(head.lastT(ref)).toBe(Number.NEGATIVE_INFINITY);
    }
    expect(head.refOf(gone)).toBe(-1);
    expect(head.refOf(series("empty"))).toBe(-1);
    expect(candidates(head, "__name__", "gone")).toEqual([]);
    expect(candidates(head, "job", "x")).toEqual([head.refOf(kept), head.refOf(late)]);
    expect(head.samples).toBe(6 + 3);
    expect([head.minTime(), head.maxTime()]).toEqual([1000, 3000]);
    expect(await readAll(head)).toEqual(
      new Map([
        ["kept", rowsOf(range(1000, 1600, 100))],
        ["late", rowsOf([1200, 2500, 3000])],
      ]),
    );
    const q = new HeadQuerier(head, -1e15, 1e15);
    expect(await q.labelValues("__name__", [])).toEqual(["kept", "late"]);

    // The same labels again: a new series under a new ref.
    await write(head, gone, rowsOf([1500]));
    expect(head.refOf(gone)).toBe(limitBefore);
    expect(limiter.total).toBe(3);
    expect(candidates(head, "__name__", "gone")).toEqual([limitBefore]);

    // Older than the bound: refused by an appender up front (one that took such a sample before
    // the truncation has it dropped when applied: see the racing commits below).
    const dropped = head.dropped;
    await expect(write(head, kept, rowsOf([999]))).rejects.toThrow(/timestamp 999 is older than 1000/);
    await expect(write(head, series("new"), rowsOf([10, 20]))).rejects.toMatchObject({ code: "too_old" });
    expect(head.dropped).toBe(dropped);
    expect((await readAll(head)).has("new")).toBe(false);
  });

  it("re-encodes chunks that straddle an unaligned mint and keeps minTime/maxTime exact", async () => {
    const { head } = await openHead(await newDir(), { blockDurationMs: 7_200_000 });
    const up = series("up");
    await write(head, up, rowsOf(range(0, 300, 1))); // chunks [0,119] [120,239] [240,299]
    expect([head.minTime(), head.maxTime()]).toEqual([0, 299]);
    await head.truncate(150);
    expect(head.samples).toBe(150);
    expect(head.chunksIn(head.refOf(up), -1e15, 1e15)!.chunks.map((c) => [c.minT, c.maxT])).toEqual([
      [150, 239],
      [240, 299],
    ]);
    await head.truncate(250);
    expect(head.chunksIn(head.refOf(up), -1e15, 1e15)!.chunks.map((c) => [c.minT, c.maxT])).toEqual([
      [250, 299],
    ]);
    expect([head.minTime(), head.maxTime()]).toEqual([250, 299]);
    await write(head, up, rowsOf([300]));
    expect(await readAll(head)).toEqual(new Map([["up", rowsOf(range(250, 301, 1))]]));
    // A lower mint later changes nothing: the bound never falls.
    expect((await head.truncate(100)).mint).toBe(250);
    await head.truncate(1000);
    expect(head.seriesCount).toBe(0);
    expect([head.minTime(), head.maxTime()]).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(head.samples).toBe(0);
  });
});

describe("HeadOptions.minValidTime", () => {
  it("drops older samples at replay, as a truncation there would have", async () => {
    const dir = await newDir();
    const { head } = await openHead(dir);
    await write(head, series("old"), rowsOf([100, 200]));
    await write(head, series("both"), rowsOf([500, 1500]));
    await head.close();
    const { head: again, limiter } = await openHead(dir, { minValidTime: 1000 });
    expect(again.minValidTime).toBe(1000);
    expect(await readAll(again)).toEqual(new Map([["both", rowsOf([1500])]]));
    expect(again.seriesCount).toBe(1);
    expect(limiter.total).toBe(1);
    expect([again.minTime(), again.maxTime()]).toEqual([1500, 1500]);
    // A checkpoint's higher bound wins over a lower option.
    await again.truncate(1200);
    await again.close();
    const { head: third } = await openHead(dir, { minValidTime: 1000 });
    expect(third.minValidTime).toBe(1200);
  });
});

describe("Head.truncate and commits under way", () => {
  it("brings a removed series back under its ref for a commit that looked it up before", async () => {
    const dir = await newDir();
    const { head, limiter } = await openHead(dir);
    const s = series("s");
    await write(head, s, rowsOf([100, 200]));
    const ref = head.refOf(s);
    const app = new HeadAppender(head);
    appendRows(app, s, rowsOf([2000, 2100]));
    await head.truncate(1000);
    expect(head.refOf(s)).toBe(-1);
    expect(limiter.total).toBe(0);
    await app.commit();
    expect(head.refOf(s)).toBe(ref);
    expect(limiter.total).toBe(1);
    expect(candidates(head, "__name__", "s")).toEqual([ref]);
    const want = new Map([["s", rowsOf([2000, 2100])]]);
    expect(await readAll(head)).toEqual(want);
    await head.close();
    const { head: again } = await openHead(dir);
    expect(await readAll(again)).toEqual(want);
  });

  it("sends such a commit's samples to the series that took the labels meanwhile", async () => {
    const dir = await newDir();
    const { head, limiter } = await openHead(dir);
    const s = series("s");
    await write(head, s, rowsOf([100]));
    const app = new HeadAppender(head);
    appendRows(app, s, rowsOf([2000]));
    await head.truncate(1000);
    await write(head, s, rowsOf([1500])); // a new series, new ref
    const newRef = head.refOf(s);
    await app.commit();
    expect(head.refOf(s)).toBe(newRef);
    expect(head.seriesCount).toBe(1);
    expect(limiter.total).toBe(1);
    const want = new Map([["s", rowsOf([1500, 2000])]]);
    expect(await readAll(head)).toEqual(want);
    await head.close();
    const reopened = await openHead(dir);
    expect(await readAll(reopened.head)).toEqual(want);
    expect(reopened.head.seriesCount).toBe(1);
    expect(reopened.limiter.total).toBe(1);
  });

  it("keeps the samples a commit logged before the cut put into a series created after the truncation began", async () => {
    const dir = await newDir();
    const { head } = await openHead(dir);
    const s = series("s");
    const flush = async (): Promise<void> => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    const a = new HeadAppender(head);
    appendRows(a, s, rowsOf([2000]));
    const committedA = a.commit();
    await flush(); // a created the series and logged its batch; the log has not resolved
    const first = head.refOf(s);
    expect(first).toBeGreaterThanOrEqual(0);
    const truncation = head.truncate(1000);
    await flush(); // the series has no sample yet: removed
    expect(head.refOf(s)).toBe(-1);
    const b = new HeadAppender(head);
    appendRows(b, s, rowsOf([2100]));
    const committedB = b.commit(); // a new series for the labels, logged after the cut
    await flush();
    expect(head.refOf(s)).toBeGreaterThan(first);
    await Promise.all([committedA, truncation, committedB]);
    const want = new Map([["s", rowsOf([2000, 2100])]]);
    expect(await readAll(head)).toEqual(want);
    await head.close();
    const { head: again } = await openHead(dir);
    expect(await readAll(again)).toEqual(want);
    expect(again.seriesCount).toBe(1);
  });

  it("replays to the same data when a new series took the labels before an older commit landed", async () => {
    const dir = await newDir();
    const { head } = await openHead(dir);
    const s = series("s");
    await write(head, s, rowsOf([100]));
    const a = new HeadAppender(head);
    appendRows(a, s, rowsOf([2000])); // holds the old ref
    await head.truncate(1000); // removes it
    const committedA = a.commit(); // logged after the cut, applied after b created the new series
    for (let i = 0; i < 10; i++) await Promise.resolve();
    const b = new HeadAppender(head);
    appendRows(b, s, rowsOf([2100]));
    const committedB = b.commit();
    await Promise.all([committedA, committedB]);
    const want = new Map([["s", rowsOf([2000, 2100])]]);
    expect(await readAll(head)).toEqual(want);
    await head.close();
    // Replay applies a's samples before it meets b's SERIES record: it brings the old ref back
    // and folds the new one into it.
    const { head: again } = await openHead(dir);
    expect(await readAll(again)).toEqual(want);
    expect(again.seriesCount).toBe(1);
    await write(again, s, rowsOf([2200]));
    expect(await readAll(again)).toEqual(new Map([["s", rowsOf([2000, 2100, 2200])]]));
  });

  it("drops a commit's samples older than the bound it met", async () => {
    const { head } = await openHead(await newDir());
    const s = series("s");
    await write(head, s, rowsOf([100, 1500]));
    const app = new HeadAppender(head);
    appendRows(app, s, rowsOf([1600, 1700]));
    appendRows(app, series("t"), rowsOf([900, 1800]));
    await head.truncate(1000);
    await app.commit();
    expect(await readAll(head)).toEqual(
      new Map([
        ["s", rowsOf([1500, 1600, 1700])],
        ["t", rowsOf([1800])],
      ]),
    );
  });
});

describe("Head.truncate checkpoints", () => {
  it("replaces the WAL by a checkpoint from which a restart recovers exactly the remaining data", async () => {
    const dir = await newDir();
    const opts = { outOfOrderWindowMs: 5000, walSegmentBytes: 4096 };
    const { head } = await openHead(dir, opts);
    const nan = 0x7ff8000000000badn;
    for (let k = 0; k < 20; k++) {
      const l = series("m", { k: String(k) });
      // Series k has samples in [k·100, k·100 + 1500): those up to k = 5 end before 2000.
      const ts = range(k * 100, k * 100 + 1500, 50);
      await write(
        head,
        l,
        rowsOf(ts, (t) => (t % 350 === 0 ? STALE_NAN_BITS : t % 700 === 0 ? nan : num(t + k / 8))),
      );
      // Late ones with a NaN payload, either side of the bounds.
      await write(
        head,
        l,
        rowsOf([k * 100 + 25, k * 100 + 1425], (t) => (t % 100 === 25 ? nan : num(t))),
      );
    }
    const before = await head.truncate(1000);
    expect(before.checkpoint.through).toBeGreaterThan(1);
    await write(head, series("m", { k: "0" }), rowsOf([4000])); // keeps series 0
    const r = await head.truncate(2000);
    expect(r.removedSeries).toBe(5);
    await write(head, series("after"), rowsOf([5000, 5100]));
    await write(head, series("m", { k: "19" }), rowsOf([4000]));
    await expect(write(head, series("m", { k: "19" }), rowsOf([1900]))).rejects.toMatchObject({
      code: "too_old",
    });

    const want = await readAll(head);
    expect(want.size).toBe(16);
    expect(want.get('m{k="19"}')).toContainEqual([3325, nan]);
    for (const rows of want.values()) expect(rows[0]![0]).toBeGreaterThanOrEqual(2000);
    const stats = {
      seriesCount: head.seriesCount,
      samples: head.samples,
      refLimit: head.refLimit,
      minValidTime: head.minValidTime,
      minTime: head.minTime(),
      maxTime: head.maxTime(),
    };
    const wal = await head.wal();
    const segments = wal.segments();
    await head.close();

    const names = await readdir(join(dir, "wal"));
    expect(names.filter((n) => n.startsWith("checkpoint."))).toEqual([
      `checkpoint.${pad(r.checkpoint.through)}`,
    ]);
    expect(segments[0]).toBe(r.checkpoint.through + 1);

    const { head: again } = await openHead(dir, opts);
    expect(await readAll(again)).toEqual(want);
    expect({
      seriesCount: again.seriesCount,
      samples: again.samples,
      refLimit: again.refLimit,
      minValidTime: again.minValidTime,
      minTime: again.minTime(),
      maxTime: again.maxTime(),
    }).toEqual(stats);
    // The late samples came back late, in the out-of-order buffer.
    const k19 = again.chunksIn(again.refOf(series("m", { k: "19" })), -1e15, 1e15)!;
    expect(k19.ooo?.ts).toEqual(Float64Array.of(3325));
    // Writing on and truncating again after the restart.
    await write(again, series("after"), rowsOf([5200]));
    await again.truncate(5000);
    expect(await readAll(again)).toEqual(new Map([["after", rowsOf([5000, 5100, 5200])]]));
    await again.close();
    const { head: third } = await openHead(dir, opts);
    expect(await readAll(third)).toEqual(new Map([["after", rowsOf([5000, 5100, 5200])]]));
    expect(third.seriesCount).toBe(1);
  });

  it("keeps every commit that raced the checkpoint, and replays to the live state", async () => {
    const dir = await newDir();
    const opts = { outOfOrderWindowMs: 1000, walSegmentBytes: 2048 };
    const { head } = await openHead(dir, opts);
    let next = 0;
    const acked: number[] = [];
    const commits: Promise<void>[] = [];
    /**
     * Commit `id`: a new series, a sample of a shared series (often late), and one of the series of
     * commit id/2 — which a truncation may have removed meanwhile, even before that commit landed.
     */
    const commit = (): void => {
      const id = next++;
      const app = new HeadAppender(head);
      appendRows(app, series("c", { id: String(id) }), rowsOf([id * 10, id * 10 + 5]));
      try {
        appendRows(app, series("shared"), rowsOf([id * 10 - (id % 7) * 30]));
      } catch (err) {
        if (!(err instanceof AppendError)) throw err;
      }
      appendRows(app, series("c", { id: String(Math.floor(id / 2)) }), rowsOf([id * 10 + 7]));
      commits.push(app.commit().then(() => void acked.push(id)));
    };
    for (let i = 0; i < 300; i++) commit();
    await Promise.all(commits);
    for (let round = 1; round <= 3; round++) {
      const truncation = head.truncate(round * 1000);
      let done = false;
      void truncation.then(() => {
        done = true;
      });
      // Commit on every turn of the event loop until the checkpoint is written.
      while (!done) {
        for (let i = 0; i < 3; i++) commit();
        await new Promise((res) => setImmediate(res));
      }
      await truncation;
    }
    await Promise.all(commits);
    expect(next).toBeGreaterThan(600);
    const want = await readAll(head);
    const samples = head.samples;
    await head.close();
    const { head: again } = await openHead(dir, opts);
    expect(await readAll(again)).toEqual(want);
    expect(again.samples).toBe(samples);
    // Every acknowledged sample not older than the last bound is there.
    for (const id of acked) {
      const rows = want.get(`c{id="${id}"}`) ?? [];
      if (id * 10 >= 3000) expect(rows.slice(0, 2)).toEqual(rowsOf([id * 10, id * 10 + 5]));
      const half = want.get(`c{id="${Math.floor(id / 2)}"}`) ?? [];
      if (id * 10 + 7 >= 3000) expect(half.some(([t]) => t === id * 10 + 7)).toBe(true);
    }
  });

  it("replays to the live state whatever commits and truncations interleave (property)", async () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("commit" as const),
        rows: fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 3 }),
            fc.integer({ min: 0, max: 60 }),
            fc.integer({ min: 0, max: 3 }),
          ),
          { maxLength: 12 },
        ),
        wait: fc.constantFrom("none", "microtasks", "commit"),
      }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.integer({ min: 0, max: 60 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 25 }),
        fc.integer({ min: 0, max: 20 }),
        async (steps, window) => {
          const dir = await newDir();
          const opts = { outOfOrderWindowMs: window, walSegmentBytes: 256, blockDurationMs: 10 };
          const { head } = await openHead(dir, opts);
          const pending: Promise<unknown>[] = [];
          for (const st of steps) {
            if (st.kind === "truncate") {
              pending.push(head.truncate(st.at));
              // Let its memory part run: commits from here on meet the removed series.
              for (let i = 0; i < 10; i++) await Promise.resolve();
              continue;
            }
            const app = new HeadAppender(head);
            for (const [s, t, v] of st.rows) {
              try {
                app.append(series("p", { s: String(s) }), t, v);
              } catch (err) {
                if (!(err instanceof AppendError)) throw err;
              }
            }
            const done = app.commit();
            pending.push(done);
            // Microtasks only: the commit creates its series and logs, but its log has not resolved.
            if (st.wait === "microtasks") for (let i = 0; i < 10; i++) await Promise.resolve();
            if (st.wait === "commit") await done;
          }
          await Promise.all(pending);
          const want = await readAll(head);
          const samples = head.samples;
          const bound = head.minValidTime;
          await head.close();
          const { head: again } = await openHead(dir, opts);
          expect(await readAll(again)).toEqual(want);
          expect(again.samples).toBe(samples);
          expect(again.minValidTime).toBe(bound);
          expect(again.seriesCount).toBe(want.size);
          await again.close();
        },
      ),
      { numRuns: 100 },
    );
  });
});

function pad(n: number): string {
  return String(n).padStart(8, "0");
}
