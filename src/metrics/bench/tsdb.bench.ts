import { parseArgs } from "node:util";
import { buildWorkload } from "./node-workload.js";
import { type Peer, startMirador, startPrometheus, startVictoriaMetrics } from "./peers.js";
import { cpuSeconds, peakRssBytes } from "./proc-stats.js";
import { sendAll } from "./sender.js";

/** The figures of one system. */
interface Figures {
  samples_per_cpu_second: number;
  samples_per_second: number;
  rss_bytes_per_series: number;
  bytes_per_sample: number | null;
  index_bytes_per_series: number | null;
}

const KEYS = [
  "samples_per_cpu_second",
  "samples_per_second",
  "rss_bytes_per_series",
  "bytes_per_sample",
] as const;

/**
 * `npm run bench -- tsdb [--series N] [--samples N] [--series-per-request N] [--inflight N]`:
 * the same pre-encoded remote-write workload (default 100K node-exporter-like series × 120 samples at
 * 15 s, 2,000 series per request, 4 requests in flight, every series in order) sent to Mirador,
 * Prometheus and VictoriaMetrics in turn, each a separate process. For each: samples per CPU-second
 * of the server (utime+stime from /proc), wall-clock samples/s, peak RSS per series, and bytes per
 * sample on disk once flushed. Ratios are Mirador ÷ peer, oriented so that > 1 means Mirador is
 * better (for RSS and bytes: peer ÷ Mirador).
 */
export async function run(argv: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      series: { type: "string", default: "100000" },
      samples: { type: "string", default: "120" },
      "series-per-request": { type: "string", default: "2000" },
      inflight: { type: "string", default: "4" },
    },
  });
  const series = Number(values.series);
  const samples = Number(values.samples);
  const spec = {
    series,
    samples,
    intervalMs: 15_000,
    seriesPerRequest: Number(values["series-per-request"]),
    startMs: Date.now() - samples * 15_000,
  };
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  log(`building ${series} series × ${samples} samples…`);
  const workload = buildWorkload(spec);
  log(`${workload.bodies.length} requests, ${(workload.rawBytes / 1e6).toFixed(0)} MB before snappy`);

  const out: Record<string, unknown> = {
    workload: { series, samples, requests: workload.bodies.length, inflight: Number(values.inflight) },
  };
  const missing: string[] = [];
  for (const startPeer of [startMirador, startPrometheus, startVictoriaMetrics]) {
    const peer = await startPeer();
    if (typeof peer === "string") {
      log(`!!! PEER MISSING: ${peer}`);
      missing.push(peer);
      continue;
    }
    try {
      out[peer.name] = await measure(
        peer,
        workload.bodies,
        workload.totalSamples,
        series,
        Number(values.inflight),
        Math.ceil(series / spec.seriesPerRequest),
        log,
      );
    } finally {
      await peer.stop();
    }
  }
  for (const peer of ["prometheus", "victoriametrics"]) {
    const m = out.mirador as Figures | undefined;
    const p = out[peer] as Figures | undefined;
    if (!m || !p) continue;
    const ratio = (ours: number | null, theirs: number | null, higherIsBetter: boolean) =>
      ours === null || theirs === null || ours === 0 || theirs === 0
        ? null
        : round(higherIsBetter ? ours / theirs : theirs / ours);
    out[`ratio_vs_${peer}`] = Object.fromEntries(
      KEYS.map((k) => [k, ratio(m[k], p[k], k.startsWith("samples"))]),
    );
  }
  if (missing.length > 0) out.missing_peers = missing;
  return out;
}

async function measure(
  peer: Peer,
  bodies: readonly Buffer[],
  totalSamples: number,
  series: number,
  inflight: number,
  stride: number,
  log: (m: string) => void,
): Promise<Figures> {
  const cpu0 = cpuSeconds(peer.pid);
  const t0 = performance.now();
  await sendAll(peer.writeUrl, peer.headers, bodies, inflight, stride);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(peer.pid) - cpu0;
  const disk = await peer.flush();
  const rss = peakRssBytes(peer.pid);
  const f: Figures = {
    samples_per_cpu_second: round(totalSamples / cpu),
    samples_per_second: round(totalSamples / wall),
    rss_bytes_per_series: round(rss / series),
    bytes_per_sample: disk ? round((disk.dataBytes + disk.indexBytes) / totalSamples, 3) : null,
    index_bytes_per_series: disk ? round(disk.indexBytes / series) : null,
  };
  log(`${peer.name}: ${JSON.stringify(f)} (cpu ${cpu.toFixed(1)} s, wall ${wall.toFixed(1)} s)`);
  return f;
}

function round(x: number, digits = 2): number {
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}
