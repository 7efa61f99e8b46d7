import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { newCtx } from "../../model/context.js";
import { Labels } from "../../model/labels.js";
import { Matcher } from "../../model/matcher.js";
import { isStaleNaN, STALE_NAN } from "../../model/stale.js";
import { DEFAULT_LIMITS, TenantLimits } from "../limits/index.js";
import { AppendError } from "../storage/interface.js";
import { collectSeries } from "../storage/series-set.js";
import { runStorageConformance } from "../storage/storage-conformance.testlib.js";
import { TSDB, type TSDBOptions } from "./tsdb.js";

const dirs: string[] = [];
const opened: TSDB[] = [];

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "mirador-head-"));
  dirs.push(d);
  return d;
}

async function openStore(dir: string, opts: TSDBOptions = {}): Promise<TSDB> {
  const s = await TSDB.open(dir, { syncMode: "never", ...opts });
  opened.push(s);
  return s;
}

afterAll(async () => {
  for (const s of opened) await s.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

// The conformance suite expects late samples to be refused: a zero out-of-order window.
runStorageConformance("tsdb head", async () =>
  openStore(await tempDir(), { limits: new TenantLimits({ ...DEFAULT_LIMITS, out_of_order_window: 0 }) }),
);

const ctx = newCtx(["t"]);
const L = (rec: Record<string, string>) => Labels.fromRecord(rec);
const all = [new Matcher("=~", "__name__", ".+")];

/** Every series of `store` for `ctx`: labels and samples, values as raw bits (bigint) so NaN payloads compare. */
async function dump(store: TSDB, c = ctx): Promise<[string, [number, bigint][]][]> {
  const q = store.querier(c, -1e15, 1e15);
  const f = new Float64Array(1);
  const u = new BigUint64Array(f.buffer);
  const out: [string, [number, bigint][]][] = [];
  for (const s of collectSeries(await q.select(all))) {
    const it = s.iterator();
    const samples: [number, bigint][] = [];
    while (it.next()) {
      f[0] = it.v;
      samples.push([it.t, u[0]!]);
    }
    out.push([s.labels.toString(), samples]);
  }
  q.close();
  return out;
}

describe("TSDB restarts", () => {
  it("reads the same data, stale marker bit-exact, after close and reopen", async () => {
    const dir = await tempDir();
    const a = await openStore(dir, { syncMode: "always" });
    const app = a.appender(ctx);
    for (let i = 0; i < 300; i++)
      app.append(L({ __name__: "m", i: String(i % 3) }), 1000 * i, i % 10 === 9 ? STALE_NAN : i);
    await app.commit();
    const before = await dump(a);
    await a.close();
    const b = await openStore(dir);
    expect(await dump(b)).toEqual(before);
    expect(b.stats()).toEqual([{ tenant: "t", activeSeries: 3, samples: 300, blocks: 0, blockBytes: 0 }]);
    const q = b.querier(ctx, 9000, 9000);
    const s = collectSeries(await q.select([new Matcher("=", "i", "0")]))[0]!;
    const it = s.iterator();
    const v = new Float64Array(1);
    expect(it.next()).toBe(true);
    v[0] = it.v;
    expect(isStaleNaN(v[0])).toBe(true);
  });

  it("gets every committed batch back after a crash (the storage abandoned, never closed)", async () => {
    const dir = await tempDir();
    const a = await openStore(dir);
    for (let batch = 0; batch < 5; batch++) {
      const app = a.appender(newCtx([`tenant/${batch % 2}`]));
      for (let i = 0; i < 50; i++) app.append(L({ __name__: "m", b: String(batch) }), 1000 * i, batch * i);
      await app.commit();
    }
    // Never committed: must not come back.
    const lost = a.appender(newCtx(["tenant/0"]));
    lost.append(L({ __name__: "lost" }), 1, 1);
    const b = await openStore(dir);
    for (const t of ["tenant/0", "tenant/1"])
      expect(await dump(b, newCtx([t]))).toEqual(await dump(a, newCtx([t])));
    expect(b.stats().map((s) => s.tenant)).toEqual(["tenant/0", "tenant/1"]);
    expect((await readdir(join(dir, "tsdb"))).sort()).toEqual(["tenant%2F0", "tenant%2F1"]);
    // And it keeps accepting writes after the replay.
    const app = b.appender(newCtx(["tenant/0"]));
    app.append(L({ __name__: "m", b: "0" }), 1_000_000, 7);
    await app.commit();
  });

  it("round-trips random in-order writes across many series through a reopen (property)", async () => {
    const value = fc.oneof(fc.double(), fc.constant(STALE_NAN), fc.integer({ min: -1000, max: 1000 }));
    const row = fc.tuple(fc.integer({ min: 0, max: 39 }), fc.integer({ min: 1, max: 120_000 }), value);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(row, { maxLength: 200 }), { minLength: 1, maxLength: 4 }),
        async (batches) => {
          const dir = await tempDir();
          const a = await openStore(dir);
          // The model: per series, timestamps strictly increasing, values as bits.
          const model = new Map<string, Map<number, bigint>>();
          const lastT = new Map<string, number>();
          const f = new Float64Array(1);
          const u = new BigUint64Array(f.buffer);
          let base = 0;
          for (const rows of batches) {
            const app = a.appender(ctx);
            for (const [s, dt, v] of rows) {
              const labels = L({ __name__: `m${s % 7}`, s: String(s) });
              const key = labels.toString();
              const t = base + dt;
              if (t <= (lastT.get(key) ?? -1)) continue;
              app.append(labels, t, v);
              lastT.set(key, t);
              f[0] = v;
              let m = model.get(key);
              if (!m) {
                m = new Map();
                model.set(key, m);
              }
              m.set(t, u[0]!);
            }
            await app.commit();
            base += 200_000;
          }
          const want = [...model]
            .map(([k, m]) => [k, [...m].sort((x, y) => x[0] - y[0])] as [string, [number, bigint][]])
            .sort((x, y) => Labels.compare(parse(x[0]), parse(y[0])));
          expect(await dump(a)).toEqual(want);
          await a.close();
          const b = await openStore(dir);
          expect(await dump(b)).toEqual(want);
        },
      ),
      { numRuns: 25 },
    );
  });
});

/** Labels back from `m3{s="3"}` (the model's keys), for sorting as the store does. */
function parse(text: string): Labels {
  const m = /^(\w+)\{s="(\d+)"\}$/.exec(text)!;
  return L({ __name__: m[1]!, s: m[2]! });
}

describe("TSDB tenant deletion", () => {
  it("deletes one tenant's data, leaves the others, and stays deleted across a reopen", async () => {
    const dir = await tempDir();
    const a = await openStore(dir);
    for (const t of ["gone", "kept"]) {
      const app = a.appender(newCtx([t]));
      for (let i = 0; i < 20; i++) app.append(L({ __name__: "m", i: String(i % 2) }), 1000 * i, i);
      await app.commit();
    }
    await a.maintain(true);
    const kept = await dump(a, newCtx(["kept"]));
    await a.deleteTenant("gone");
    expect(await dump(a, newCtx(["gone"]))).toEqual([]);
    expect(await dump(a, newCtx(["kept"]))).toEqual(kept);
    expect(await readdir(join(dir, "tsdb"))).toEqual(["kept"]);
    await a.close();
    const b = await openStore(dir);
    expect(b.stats().map((s) => s.tenant)).toEqual(["kept"]);
    // A later write starts the tenant afresh.
    const app = b.appender(newCtx(["gone"]));
    app.append(L({ __name__: "m" }), 1, 1);
    await app.commit();
    expect(await dump(b, newCtx(["gone"]))).toEqual([["m", [[1, 4607182418800017408n]]]]);
  });
});

describe("TSDB series limits", () => {
  it("refuses a new series past the limit, counts again after a rollback, and replays within it", async () => {
    const dir = await tempDir();
    const limits = new TenantLimits({ ...DEFAULT_LIMITS, max_active_series: 1 });
    const store = await openStore(dir, { limits });
    const a = store.appender(ctx);
    a.append(L({ __name__: "one" }), 1, 1);
    let err: unknown;
    try {
      a.append(L({ __name__: "two" }), 1, 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppendError);
    expect((err as AppendError).code).toBe("limit");
    expect((err as AppendError).message).toMatch(/limit of 1 active series.*max_active_series/);
    a.rollback();
    const b = store.appender(ctx);
    b.append(L({ __name__: "two" }), 1, 1);
    await b.commit();
    expect(store.stats()).toEqual([{ tenant: "t", activeSeries: 1, samples: 1, blocks: 0, blockBytes: 0 }]);
    await store.close();
    const again = await openStore(dir, { limits });
    expect(() => again.appender(ctx).append(L({ __name__: "three" }), 1, 1)).toThrow(/limit of 1/);
    const c = again.appender(ctx);
    c.append(L({ __name__: "two" }), 2, 2);
    await c.commit();
  });
});

describe("TSDB blocks", () => {
  const HOUR = 3_600_000;
  /** Writes `hours` of one sample a minute for `n` series, in commits of 10 minutes; returns the ids. */
  async function fill(store: TSDB, hours: number, n: number, from = 0): Promise<void> {
    for (let t0 = from; t0 < from + hours * HOUR; t0 += 600_000) {
      const app = store.appender(ctx);
      for (let t = t0; t < t0 + 600_000; t += 60_000)
        for (let i = 0; i < n; i++)
          app.append(L({ __name__: "m", i: String(i) }), t, t % 7_200_000 === 0 ? STALE_NAN : t / 1000 + i);
      await app.commit();
    }
  }

  it("cuts the head into 2 h blocks once it spans 1.5 block durations, truncating head and WAL", async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    await fill(store, 6, 4);
    const before = await dump(store);
    const done = await store.maintain();
    // [0,2h), then [2h,4h) (the head still spans 4 h); then [4h,6h) is 2 h: it stays in the head.
    expect(done.get("t")?.headBlocks).toBe(2);
    const [stats] = store.stats();
    expect(stats?.blocks).toBe(2);
    expect(stats?.blockBytes).toBeGreaterThan(0);
    expect(stats?.samples).toBe(4 * 120);
    expect(await dump(store)).toEqual(before);
    // Blocks are directories named by ULID beside the WAL, which starts with a checkpoint now.
    const names = (await readdir(join(dir, "tsdb", "t"))).sort();
    expect(names.filter((n) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(n))).toHaveLength(2);
    expect((await readdir(join(dir, "tsdb", "t", "wal"))).some((n) => n.startsWith("checkpoint."))).toBe(
      true,
    );
    // Older than the head's bound now: refused with a clear error.
    const late = store.appender(ctx);
    expect(() => late.append(L({ __name__: "m", i: "0" }), HOUR, 1)).toThrow(AppendError);
    late.rollback();
    await store.close();
    const again = await openStore(dir);
    expect(await dump(again)).toEqual(before);
  });

  it("flushes the whole head into blocks, keeps accepting newer samples and reads across both", async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    await fill(store, 1, 3);
    await store.maintain(true);
    expect(store.stats()[0]).toMatchObject({ samples: 0, blocks: 1 });
    await fill(store, 1, 3, HOUR);
    const want = await dump(store);
    expect(want.map(([, rows]) => rows.length)).toEqual([120, 120, 120]);
    await store.maintain(true);
    // Two overlapping-free flushes inside one 2 h range: compaction leaves them as they are or merges them.
    expect(await dump(store)).toEqual(want);
    await store.close();
    expect(await dump(await openStore(dir))).toEqual(want);
  });

  it("deletes blocks past the tenant's retention time and size", async () => {
    const dir = await tempDir();
    const limits = new TenantLimits(
      { ...DEFAULT_LIMITS, retention: 4 * HOUR },
      { small: { retention_size: 1 } },
    );
    const store = await openStore(dir, { limits });
    await fill(store, 9, 2);
    await store.maintain();
    // Data ends at 9 h: blocks ending at or before 5 h go, [0,2h) and [2h,4h); [4h,6h) stays.
    const rows = (await dump(store))[0]![1];
    expect(rows[0]![0]).toBe(4 * HOUR);
    const small = newCtx(["small"]);
    const app = store.appender(small);
    for (let t = 0; t < 5 * HOUR; t += 60_000) app.append(L({ __name__: "s" }), t, 1);
    await app.commit();
    await store.maintain(true);
    // One byte allowed: every block of the tenant goes, the newest included.
    expect(await dump(store, small)).toEqual([]);
  });
});
