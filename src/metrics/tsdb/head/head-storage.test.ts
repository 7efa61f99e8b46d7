import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { newCtx } from "../../../model/context.js";
import { Labels } from "../../../model/labels.js";
import { Matcher } from "../../../model/matcher.js";
import { isStaleNaN, STALE_NAN } from "../../../model/stale.js";
import { DEFAULT_LIMITS, TenantLimits } from "../../limits/index.js";
import { AppendError } from "../../storage/interface.js";
import { collectSeries } from "../../storage/series-set.js";
import { runStorageConformance } from "../../storage/storage-conformance.testlib.js";
import { HeadStorage, type HeadStorageOptions } from "./head-storage.js";

const dirs: string[] = [];
const opened: HeadStorage[] = [];

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "mirador-head-"));
  dirs.push(d);
  return d;
}

async function openStore(dir: string, opts: HeadStorageOptions = {}): Promise<HeadStorage> {
  const s = await HeadStorage.open(dir, { syncMode: "never", ...opts });
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
async function dump(store: HeadStorage, c = ctx): Promise<[string, [number, bigint][]][]> {
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

describe("HeadStorage restarts", () => {
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
    expect(b.stats()).toEqual([{ tenant: "t", activeSeries: 3, samples: 300 }]);
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

describe("HeadStorage series limits", () => {
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
    expect(store.stats()).toEqual([{ tenant: "t", activeSeries: 1, samples: 1 }]);
    await store.close();
    const again = await openStore(dir, { limits });
    expect(() => again.appender(ctx).append(L({ __name__: "three" }), 1, 1)).toThrow(/limit of 1/);
    const c = again.appender(ctx);
    c.append(L({ __name__: "two" }), 2, 2);
    await c.commit();
  });
});
