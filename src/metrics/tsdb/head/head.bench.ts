import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newCtx } from "../../../model/context.js";
import { Labels } from "../../../model/labels.js";
import { Matcher } from "../../../model/matcher.js";
import { DEFAULT_LIMITS, TenantLimits } from "../../limits/index.js";
import { TSDB } from "../tsdb.js";
import type { SyncMode } from "../wal/index.js";

/**
 * `npm run bench -- head [series] [samples] [always|never]`: ingest into a {@link TSDB} as
 * remote-write would — `series` series (default 100 000) of 6 labels, `samples` scrapes (default
 * 12) 15 s apart, committed in batches of 2 000 samples with up to 16 commits in flight — then
 * read everything back once. Figures: `appends_per_cpu_s` and `appends_per_s` (wall), the JS heap
 * (after a GC when run with `--expose-gc`) and RSS grown per series, `select_all_ms`, and the
 * reopen (WAL replay) time. Default sync mode `never` (CPU cost only). No test asserts them.
 */
export async function run(args: string[] = []): Promise<Record<string, number>> {
  const nSeries = Number(args[0] ?? 100_000);
  const nSamples = Number(args[1] ?? 12);
  const syncMode = (args[2] ?? "never") as SyncMode;
  const dir = await mkdtemp(join(tmpdir(), "mirador-head-bench-"));
  const gc = (globalThis as { gc?: () => void }).gc;
  try {
    const labels: Labels[] = [];
    for (let i = 0; i < nSeries; i++) {
      labels.push(
        Labels.fromRecord({
          __name__: `metric_${i % 100}`,
          job: "node",
          instance: `host-${Math.floor(i / 1000)}:9100`,
          cluster: "eu-1",
          cpu: String(i % 16),
          mode: `m${Math.floor(i / 100) % 10}`,
        }),
      );
    }
    const limits = new TenantLimits({ ...DEFAULT_LIMITS, max_active_series: 0, max_series_per_metric: 0 });
    const store = await TSDB.open(dir, { syncMode, limits });
    const ctx = newCtx(["bench"]);
    gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const rss0 = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const BATCH = 2000;
    const inflight = new Set<Promise<void>>();
    let total = 0;
    for (let s = 0; s < nSamples; s++) {
      const t = 1_700_000_000_000 + s * 15_000;
      for (let from = 0; from < nSeries; from += BATCH) {
        const app = store.appender(ctx);
        const to = Math.min(nSeries, from + BATCH);
        for (let i = from; i < to; i++) app.append(labels[i]!, t, (i * 7 + s) % 1000);
        total += to - from;
        const p = app.commit().finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= 16) await Promise.race(inflight);
      }
    }
    await Promise.all(inflight);
    const wall = (performance.now() - wall0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    gc?.();
    const heapPerSeries = (process.memoryUsage().heapUsed - heap0) / nSeries;
    const rssPerSeries = (process.memoryUsage().rss - rss0) / nSeries;

    const q0 = performance.now();
    const q = store.querier(ctx, 0, 1e15);
    const set = await q.select([new Matcher("=~", "__name__", "metric_.*")]);
    let read = 0;
    for (let s = set.next(); s; s = set.next()) {
      const it = s.iterator();
      while (it.next()) read++;
    }
    q.close();
    const selectMs = performance.now() - q0;
    if (read !== total) throw new Error(`read ${read} samples, wrote ${total}`);
    await store.close();

    const r0 = performance.now();
    const again = await TSDB.open(dir, { syncMode, limits });
    const reopenMs = performance.now() - r0;
    await again.close();
    return {
      series: nSeries,
      samples: total,
      appends_per_cpu_s: Math.round(total / ((cpu.user + cpu.system) / 1e6)),
      appends_per_s: Math.round(total / wall),
      heap_bytes_per_series: Math.round(heapPerSeries),
      rss_bytes_per_series: Math.round(rssPerSeries),
      select_all_ms: Math.round(selectMs),
      reopen_ms: Math.round(reopenMs),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
