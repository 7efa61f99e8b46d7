import { parseArgs } from "node:util";
import { buildWorkload, type Workload } from "./node-workload.js";
import { type Log, type Peer, startMirador, startPrometheus, startVictoriaMetrics } from "./peers.js";
import { cpuSeconds, peakRssBytes } from "./proc-stats.js";
import { sendAll } from "./sender.js";

/** The ingest figures of one system (variants `standard` and `new-series`). */
interface Figures {
  samples_per_cpu_second: number;
  samples_per_second: number;
  rss_bytes_per_series: number;
  bytes_per_sample: number | null;
  index_bytes_per_series: number | null;
}

/** The restart figures of one system (variant `restart`). */
interface RestartFigures {
  restart_seconds: number;
  series_after_restart: number | null;
  samples_after_restart: number | null;
  /** For a peer without a WAL: how long after the last write it was killed (see {@link measureRestart}). */
  killed_after_files_settled_seconds?: number;
}

/** Ratios, oriented so that > 1 means Mirador is better; `higherIsBetter` says which way a figure goes. */
const INGEST_KEYS = [
  ["samples_per_cpu_second", true],
  ["samples_per_second", true],
  ["rss_bytes_per_series", false],
  ["bytes_per_sample", false],
] as const;
const RESTART_KEYS = [["restart_seconds", false]] as const;

/** The workload of each variant; `--series` and `--samples` override them. */
const VARIANTS = {
  /** Today's node-exporter fleet: 100K series × 120 samples, every series long-lived. */
  standard: { series: 100_000, samples: 120 },
  /** Ten times the series for a tenth of the samples: series creation weighs ten times more. */
  "new-series": { series: 1_000_000, samples: 12 },
  /** The standard workload, then SIGKILL and a restart that must replay the WAL. */
  restart: { series: 100_000, samples: 120 },
} as const;
type Variant = keyof typeof VARIANTS;

const START_PEERS = [startMirador, startPrometheus, startVictoriaMetrics];

/**
 * `npm run bench -- tsdb [--variant standard|new-series|restart] [--series N] [--samples N]
 * [--series-per-request N] [--inflight N]`: the same pre-encoded remote-write workload (by default
 * 100K node-exporter-like series × 120 samples at 15 s, 2,000 series per request, 4 requests in
 * flight, every series in order) sent to Mirador, Prometheus and VictoriaMetrics in turn, each a
 * separate process.
 *
 * - `standard` and `new-series` (1M series × 12 samples, in the same scrape-by-scrape order, so the
 *   first scrape's requests create a million series): samples per CPU-second of the server
 *   (utime+stime from /proc), wall-clock samples/s, peak RSS per series, and bytes per sample on
 *   disk once flushed into blocks (data and index apart).
 * - `restart`: after the workload, the server is SIGKILLed (nothing is flushed on the way out, so a
 *   server with a WAL replays it) and started again on the same data: seconds from spawn to ready,
 *   then the series and samples that queries find. VictoriaMetrics has no WAL and would lose its
 *   last seconds of writes, so it is killed once its files settle; a system that comes back with
 *   less than was written gets no ratio.
 *
 * Ratios are Mirador ÷ peer, oriented so that > 1 means Mirador is better (for RSS, bytes and
 * restart time: peer ÷ Mirador). A missing peer is reported loudly and in `missing_peers`.
 */
export async function run(argv: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      variant: { type: "string", default: "standard" },
      series: { type: "string" },
      samples: { type: "string" },
      "series-per-request": { type: "string", default: "2000" },
      inflight: { type: "string", default: "4" },
    },
  });
  if (!Object.hasOwn(VARIANTS, values.variant))
    throw new Error(`--variant ${values.variant}: expected one of ${Object.keys(VARIANTS).join(", ")}`);
  const variant = values.variant as Variant;
  const series = positive("--series", values.series ?? String(VARIANTS[variant].series));
  const samples = positive("--samples", values.samples ?? String(VARIANTS[variant].samples));
  const inflight = positive("--inflight", values.inflight);
  const spec = {
    series,
    samples,
    intervalMs: 15_000,
    seriesPerRequest: positive("--series-per-request", values["series-per-request"]),
    startMs: Date.now() - samples * 15_000,
  };
  const log: Log = (msg) => process.stderr.write(`${msg}\n`);
  log(`${variant}: building ${series} series × ${samples} samples…`);
  const workload = buildWorkload(spec);
  log(
    `${workload.bodies.length} requests, ${(workload.rawBytes / 1e6).toFixed(0)} MB before snappy, ` +
      `${(workload.compressedBytes / 1e6).toFixed(0)} MB kept`,
  );

  const out: Record<string, unknown> = {
    variant,
    workload: {
      series,
      samples,
      total_samples: workload.totalSamples,
      requests: workload.bodies.length,
      inflight,
    },
  };
  const missing: string[] = [];
  for (const startPeer of START_PEERS) {
    const peer = await startPeer(log);
    if (typeof peer === "string") {
      log(`!!! PEER MISSING: ${peer}`);
      missing.push(peer);
      continue;
    }
    try {
      out[peer.name] =
        variant === "restart"
          ? await measureRestart(peer, workload, series, inflight, log)
          : await measureIngest(peer, workload, series, inflight, log);
    } finally {
      await peer.stop();
    }
  }
  const keys = variant === "restart" ? RESTART_KEYS : INGEST_KEYS;
  for (const peer of ["prometheus", "victoriametrics"]) {
    const m = out.mirador as Record<string, number | null> | undefined;
    const p = out[peer] as Record<string, number | null> | undefined;
    if (!m || !p) continue;
    const whole = (f: Record<string, number | null>) =>
      f.series_after_restart === series && f.samples_after_restart === workload.totalSamples;
    if (variant === "restart" && (!whole(m) || !whole(p))) {
      // A restart that came back with less data did less work: its time is no comparison.
      log(`!!! no restart ratio vs ${peer}: one of the two did not come back with every sample`);
      out[`ratio_vs_${peer}`] = Object.fromEntries(keys.map(([k]) => [k, null]));
      continue;
    }
    out[`ratio_vs_${peer}`] = Object.fromEntries(
      keys.map(([k, higherIsBetter]) => [k, ratio(m[k] ?? null, p[k] ?? null, higherIsBetter)]),
    );
  }
  if (missing.length > 0) out.missing_peers = missing;
  // The bench's own footprint: the pre-encoded bodies dominate it.
  out.bench_process_peak_rss_bytes = peakRssBytes(process.pid);
  return out;
}

async function measureIngest(
  peer: Peer,
  workload: Workload,
  series: number,
  inflight: number,
  log: Log,
): Promise<Figures> {
  const total = workload.totalSamples;
  const cpu0 = cpuSeconds(peer.pid);
  const t0 = performance.now();
  await sendAll(peer.writeUrl, peer.headers, workload.bodies, inflight, workload.requestsPerScrape);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(peer.pid) - cpu0;
  const disk = await peer.flush();
  const rss = peakRssBytes(peer.pid);
  const f: Figures = {
    samples_per_cpu_second: round(total / cpu),
    samples_per_second: round(total / wall),
    rss_bytes_per_series: round(rss / series),
    bytes_per_sample: disk ? round((disk.dataBytes + disk.indexBytes) / total, 3) : null,
    index_bytes_per_series: disk ? round(disk.indexBytes / series) : null,
  };
  log(`${peer.name}: ${JSON.stringify(f)} (cpu ${cpu.toFixed(1)} s, wall ${wall.toFixed(1)} s)`);
  return f;
}

async function measureRestart(
  peer: Peer,
  workload: Workload,
  series: number,
  inflight: number,
  log: Log,
): Promise<RestartFigures> {
  await sendAll(peer.writeUrl, peer.headers, workload.bodies, inflight, workload.requestsPerScrape);
  // Without a WAL (VictoriaMetrics), a kill at once would lose the last seconds of writes and the
  // restart would load less than the others do: such a peer is killed once its files settle.
  let waited: number | undefined;
  if (peer.untilDurable) {
    waited = await peer.untilDurable();
    log(`${peer.name} has no WAL: killed only after its files settled (${waited} s after the last write)`);
  }
  const seconds = await peer.killAndRestart();
  // Every series has a sample within the 5 m lookback of the last scrape; the range covers them all.
  const after = await peer.queryNumber('count({__name__=~".+"})', workload.lastMs);
  const samples = await countSamples(peer, workload);
  if (after !== null && after !== series) {
    log(
      `!!! ${peer.name}: ${after} series after the restart, ${series} written` +
        (peer.untilDurable ? " (it has no WAL: rows not yet in a part on disk die with the process)" : ""),
    );
  }
  if (samples !== null && samples !== workload.totalSamples)
    log(`!!! ${peer.name}: ${samples} samples after the restart, ${workload.totalSamples} written`);
  const f: RestartFigures = {
    restart_seconds: round(seconds, 3),
    series_after_restart: after,
    samples_after_restart: samples,
    ...(waited !== undefined && { killed_after_files_settled_seconds: waited }),
  };
  log(`${peer.name}: ${JSON.stringify(f)} (${workload.totalSamples} samples in its WAL or parts)`);
  return f;
}

/**
 * Every sample of the workload's time range that `peer` holds, counted one metric name at a time:
 * `count_over_time` drops the name, so over all names at once series that differ only by it collide.
 */
async function countSamples(peer: Peer, workload: Workload): Promise<number | null> {
  const names = await peer.metricNames();
  if (names === null) return null;
  const range = `${Math.ceil((workload.lastMs - workload.firstMs) / 1000) + 1}s`;
  let total = 0;
  for (const name of names) {
    const n = await peer.queryNumber(
      `sum(count_over_time({__name__=${JSON.stringify(name)}}[${range}]))`,
      workload.lastMs,
    );
    if (n === null) return null;
    total += n;
  }
  return total;
}

function ratio(ours: number | null, theirs: number | null, higherIsBetter: boolean): number | null {
  if (ours === null || theirs === null || ours === 0 || theirs === 0) return null;
  return round(higherIsBetter ? ours / theirs : theirs / ours);
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} ${text}: expected a positive integer`);
  return n;
}

function round(x: number, digits = 2): number {
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}
