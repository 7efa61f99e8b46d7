import { readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { newCtx } from "../../model/context.js";
import { hashLabels } from "../../model/label-hash.js";
import { Labels } from "../../model/labels.js";
import { nodeExporterSeries } from "../bench/node-workload.js";
import { DEFAULT_LIMITS, TenantLimits } from "../limits/index.js";
import { isHandleAppender, type LabelView } from "../storage/interface.js";
import { TSDB } from "./tsdb.js";

/**
 * `npm run bench -- replay [--series N] [--samples M] [--dir DIR] [--reuse] [--runs K]`: the restart
 * of a TSDB with a big WAL. Writes N node-exporter-like series (default 100 000) × M samples
 * (default 120, 15 s apart, every series in order) through the appender's hot path (`handle` and
 * `appendAt`, as the remote-write receiver uses it) — scrape after
 * scrape, 2 000 series per commit, 4 commits in flight, as the `tsdb` benchmark's remote-write
 * sender does — closes the TSDB without flushing (the WAL is all there is, as after a SIGKILL),
 * then times `TSDB.open` K times (default 3): `open_ms` (best and median), its CPU time, and samples/s
 * and WAL MiB/s (from the best wall time).
 * With `--dir` the data goes there and, with `--reuse`, a WAL already written there is replayed
 * as it is (for profiling only the open). Progress on stderr; no test asserts the figures.
 */
export async function run(argv: string[] = []): Promise<Record<string, number>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      series: { type: "string", default: "100000" },
      samples: { type: "string", default: "120" },
      dir: { type: "string" },
      reuse: { type: "boolean", default: false },
      runs: { type: "string", default: "3" },
      threads: { type: "string" },
    },
  });
  const nSeries = Number(values.series);
  const nSamples = Number(values.samples);
  const runs = Number(values.runs);
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), "mirador-replay-bench-")));
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  // Limits off, as in the `tsdb` benchmark's config; the out-of-order window is the default's.
  const limits = new TenantLimits({
    ...DEFAULT_LIMITS,
    max_active_series: 0,
    max_series_per_metric: 0,
    ingestion_rate: 0,
    ingestion_burst_size: 0,
  });
  const opts = { syncMode: "never" as const, limits };
  const openOpts = {
    ...opts,
    ...(values.threads !== undefined ? { replayThreads: Number(values.threads) } : {}),
  };
  try {
    if (!(values.reuse && (await walBytes(dir)) > 0)) {
      await rm(join(dir, "tsdb"), { recursive: true, force: true });
      const w0 = performance.now();
      await write(dir, nSeries, nSamples, opts);
      log(`wrote ${nSeries} × ${nSamples} samples in ${((performance.now() - w0) / 1000).toFixed(1)} s`);
    }
    const bytes = await walBytes(dir);
    const times: number[] = [];
    const cpus: number[] = [];
    const mainCpus: number[] = [];
    let series = 0;
    let samples = 0;
    for (let r = 0; r < runs; r++) {
      (globalThis as { gc?: () => void }).gc?.();
      const cpu0 = process.cpuUsage();
      const main0 = mainThreadCpuMs();
      const t0 = performance.now();
      const db = await TSDB.open(dir, openOpts);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      mainCpus.push(mainThreadCpuMs() - main0);
      times.push(ms);
      cpus.push((cpu.user + cpu.system) / 1000);
      const stats = db.stats();
      series = stats.reduce((n, s) => n + s.activeSeries, 0);
      samples = stats.reduce((n, s) => n + s.samples, 0);
      await db.close();
      log(
        `open ${r + 1}/${runs}: ${ms.toFixed(0)} ms (${cpus.at(-1)!.toFixed(0)} ms CPU), ${series} series, ${samples} samples`,
      );
    }
    if (!values.reuse && (series !== nSeries || samples !== nSeries * nSamples)) {
      throw new Error(`replayed ${series} series and ${samples} samples, wrote ${nSeries} × ${nSamples}`);
    }
    times.sort((a, b) => a - b);
    cpus.sort((a, b) => a - b);
    mainCpus.sort((a, b) => a - b);
    const best = times[0]!;
    return {
      series,
      samples,
      wal_mib: Math.round((bytes / 2 ** 20) * 10) / 10,
      open_ms_best: Math.round(best),
      open_ms_median: Math.round(times[times.length >> 1]!),
      // On a shared machine the wall clock includes waiting for a core; CPU time does not.
      open_cpu_ms_best: Math.round(cpus[0]!),
      // The opening thread's share (the rest is chunk encoder threads); NaN where /proc is missing.
      open_main_thread_cpu_ms_best: Math.round(mainCpus[0]!),
      samples_per_s: Math.round(samples / (best / 1000)),
      wal_mib_per_s: Math.round((bytes / 2 ** 20 / (best / 1000)) * 10) / 10,
    };
  } finally {
    if (values.dir === undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** Writes the workload through `TSDB.appender`, then closes the TSDB (WAL only, no block). */
async function write(
  dir: string,
  nSeries: number,
  nSamples: number,
  opts: { syncMode: "never"; limits: TenantLimits },
): Promise<void> {
  const labels: Labels[] = [];
  const counter = new Uint8Array(nSeries);
  const values = new Float64Array(nSeries);
  const gen = nodeExporterSeries();
  for (let i = 0; i < nSeries; i++) {
    const s: { labels: { name: string; value: string }[]; counter: boolean } = gen.next().value;
    labels.push(Labels.fromRecord(Object.fromEntries(s.labels.map((l) => [l.name, l.value]))));
    counter[i] = s.counter ? 1 : 0;
    values[i] = s.counter ? Math.floor(Math.random() * 1e6) : Math.random() * 1e9;
  }
  const views = labels.map(labelView);
  const accept = () => undefined;
  const db = await TSDB.open(dir, opts);
  const ctx = newCtx(["bench"]);
  const BATCH = 2000;
  const inflight = new Set<Promise<void>>();
  const start = Date.now() - nSamples * 15_000;
  for (let s = 0; s < nSamples; s++) {
    const t = start + s * 15_000;
    for (let from = 0; from < nSeries; from += BATCH) {
      const app = db.appender(ctx);
      const to = Math.min(nSeries, from + BATCH);
      for (let i = from; i < to; i++) {
        // Counters grow by irregular amounts; gauges wander around their level (as node-workload.ts).
        values[i] =
          counter[i] === 1
            ? values[i]! + Math.floor(Math.random() * 1000)
            : values[i]! * (1 + (Math.random() - 0.5) * 0.01);
        // The remote-write receiver's hot path: a handle per series, values from a Float64Array.
        if (isHandleAppender(app)) app.appendAt(app.handle(views[i]!, accept), t, values, i);
        else app.append(labels[i]!, t, values[i]!);
      }
      const p = app.commit().finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 4) await Promise.race(inflight);
    }
  }
  await Promise.all(inflight);
  await db.close();
}

/** `labels` as a {@link LabelView} without wire bytes, as a decoder that kept none would give it. */
function labelView(labels: Labels): LabelView {
  return {
    hash: hashLabels(labels),
    equals: (other) => labels.equals(other),
    wireStart: -1,
    wireEnd: -1,
    wireBuffer: EMPTY,
    toLabels: () => labels,
  };
}

const EMPTY = new Uint8Array(0);

/** CPU time of this process's main thread so far, ms (Linux `/proc`; NaN elsewhere). */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime, fields 14 and 15 of the file, in clock ticks of 10 ms.
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Bytes of every WAL under `<dir>/tsdb/<tenant>/wal` (0 when there is none). */
async function walBytes(dir: string): Promise<number> {
  let total = 0;
  const root = join(dir, "tsdb");
  let tenants: string[];
  try {
    tenants = await readdir(root);
  } catch {
    return 0;
  }
  for (const t of tenants) {
    const wal = join(root, t, "wal");
    let names: string[] = [];
    try {
      names = await readdir(wal);
    } catch {
      continue;
    }
    for (const n of names) {
      const s = await stat(join(wal, n));
      if (s.isFile()) total += s.size;
    }
  }
  return total;
}
