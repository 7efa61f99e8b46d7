import { parseArgs } from "node:util";
import { parseDuration } from "../promql/index.js";
import { buildWorkload } from "./node-workload.js";
import { type Log, type Peer, startMirador, startPrometheus, startVictoriaMetrics } from "./peers.js";
import { instanceOf, promqlSeriesSource } from "./promql-workload.js";
import { sendAll } from "./sender.js";

/** The benchmark's range queries (issue 4), over the series of {@link promqlSeriesSource}. */
export const QUERIES: readonly string[] = [
  // 10K counters
  "sum(rate(node_cpu_seconds_total[5m]))",
  // 40K counters, 10 clusters
  'sum by (cluster) (rate({__name__=~"node_.*_total"}[5m]))',
  // 10K gauges
  "count(node_hwmon_temp_celsius)",
  // one series
  `max_over_time(node_load1{instance="${instanceOf(7)}"}[5m])`,
  // 100 histograms × 10 buckets
  "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
];

/** Relative tolerance of the result comparison. */
const TOLERANCE = 1e-9;

/** One query's timings on one system, ms. */
export interface Timings {
  p50: number;
  p95: number;
}

/** What one system answered and how fast. */
export interface SystemRun {
  readonly timings: Timings[];
  /** The parsed `data.result` of each query's first answer. */
  readonly results: MatrixResult[];
}

export type MatrixResult = { metric: Record<string, string>; values: [number, string][] }[];

/** A range query's time range: evaluation times fall between the samples, never on one. */
export interface QueryRange {
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

/**
 * `npm run bench -- promql [--series N] [--samples N] [--runs N] [--warmup N] [--step 15s]
 * [--victoriametrics] [--mirador-node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"]`: the same
 * remote-write workload (by default 100K node-exporter-like series × 120 samples at 15 s,
 * {@link promqlSeriesSource}) is loaded into Mirador (`mirador server --target=metrics`) and
 * Prometheus (and, with `--victoriametrics`, VictoriaMetrics), one after the other, each a separate
 * process using the whole machine; then each of {@link QUERIES} runs as a range query over the whole
 * data (step 15 s by default: 121 steps) `--warmup` times untimed and `--runs` times timed, one
 * after the other, measured from the request to the last byte of the answer.
 *
 * Samples sit at 7.5 s past each 15 s, so no sample lies on a window or lookback boundary (where
 * Prometheus 2.42's closed windows and Prometheus 3's left-open ones, which Mirador follows, differ).
 * The two systems' answers are compared series by series (same label sets and timestamps, values
 * within a relative {@link TOLERANCE}); a difference is reported loudly and as `same_result: false`.
 *
 * Last line: `{"queries":[{"query","mirador_p50_ms","mirador_p95_ms","prometheus_p50_ms",
 * "prometheus_p95_ms","ratio","same_result"}],"max_ratio"}` with ratio = Mirador's p50 ÷
 * Prometheus's (≤ 1 means Mirador is at least as fast).
 */
export async function run(argv: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      series: { type: "string", default: "100000" },
      samples: { type: "string", default: "120" },
      runs: { type: "string", default: "20" },
      warmup: { type: "string", default: "3" },
      step: { type: "string", default: "15s" },
      "series-per-request": { type: "string", default: "2000" },
      inflight: { type: "string", default: "4" },
      victoriametrics: { type: "boolean", default: false },
      "mirador-node-args": { type: "string", default: "" },
    },
  });
  const series = positive("--series", values.series);
  const samples = positive("--samples", values.samples);
  const runs = positive("--runs", values.runs);
  const warmup = Number(values.warmup);
  const inflight = positive("--inflight", values.inflight);
  const intervalMs = 15_000;
  // Scrapes at 7.5 s past a 15 s boundary; queries on 15 s boundaries from the minute before the first.
  const base = Math.floor((Date.now() - (samples + 4) * intervalMs) / 60_000) * 60_000;
  const range: QueryRange = {
    start: base,
    end: base + samples * intervalMs,
    step: parseDuration(values.step),
  };
  const log: Log = (msg) => process.stderr.write(`${msg}\n`);
  log(`promql: building ${series} series × ${samples} samples…`);
  const workload = buildWorkload(
    {
      series,
      samples,
      intervalMs,
      seriesPerRequest: positive("--series-per-request", values["series-per-request"]),
      startMs: base + intervalMs / 2,
    },
    promqlSeriesSource(series),
  );
  log(`${workload.bodies.length} requests, ${(workload.compressedBytes / 1e6).toFixed(0)} MB kept`);
  log(
    `queries: ${range.start / 1000}…${range.end / 1000} step ${range.step / 1000} s ` +
      `(${Math.floor((range.end - range.start) / range.step) + 1} steps), ${warmup} untimed + ${runs} timed runs each`,
  );

  const nodeArgs = values["mirador-node-args"].split(" ").filter((a) => a !== "");
  const starters: [string, (log: Log) => Promise<Peer | string>][] = [
    ["mirador", (l) => startMirador(l, nodeArgs)],
    ["prometheus", startPrometheus],
  ];
  if (values.victoriametrics) starters.push(["victoriametrics", startVictoriaMetrics]);
  // Every system is loaded, then all are queried turn about, so that whatever else the machine
  // does at the time weighs on each alike.
  const peers: Peer[] = [];
  let ran: Map<string, SystemRun>;
  try {
    for (const [name, start] of starters) {
      const peer = await start(log);
      if (typeof peer === "string") {
        log(`!!! ${name.toUpperCase()} IS MISSING: ${peer}; no comparison with it`);
        continue;
      }
      peers.push(peer);
      const t0 = performance.now();
      await sendAll(peer.writeUrl, peer.headers, workload.bodies, inflight, workload.requestsPerScrape);
      log(`${peer.name}: loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    ran = await measure(peers, range, warmup, runs, log);
  } finally {
    for (const peer of peers) await peer.stop();
  }

  const m = ran.get("mirador");
  const p = ran.get("prometheus");
  const vm = ran.get("victoriametrics");
  const queries = QUERIES.map((query, i) => {
    const same = m && p ? compare(query, m.results[i]!, p.results[i]!, log) : null;
    const mt = m?.timings[i];
    const pt = p?.timings[i];
    return {
      query,
      mirador_p50_ms: mt?.p50 ?? null,
      mirador_p95_ms: mt?.p95 ?? null,
      prometheus_p50_ms: pt?.p50 ?? null,
      prometheus_p95_ms: pt?.p95 ?? null,
      ratio: mt && pt ? round(mt.p50 / pt.p50, 3) : null,
      same_result: same,
      ...(vm && {
        victoriametrics_p50_ms: vm.timings[i]!.p50,
        victoriametrics_p95_ms: vm.timings[i]!.p95,
      }),
    };
  });
  const ratios = queries.map((q) => q.ratio).filter((r): r is number => r !== null);
  for (const q of queries) {
    log(
      `${q.query}\n  mirador p50 ${q.mirador_p50_ms} ms p95 ${q.mirador_p95_ms} ms | ` +
        `prometheus p50 ${q.prometheus_p50_ms} ms p95 ${q.prometheus_p95_ms} ms | ratio ${q.ratio}` +
        (q.same_result === false ? "  !!! DIFFERENT RESULTS" : ""),
    );
  }
  return {
    queries,
    max_ratio: ratios.length === QUERIES.length ? Math.max(...ratios) : null,
  };
}

/** Where a range query goes: a running system's query API. */
export type QueryTarget = Pick<Peer, "name" | "baseUrl" | "headers">;

/**
 * Runs every query on every target: once untimed (its answer is kept), `warmup - 1` more times
 * untimed, then `runs` timed rounds in which each target answers once, the order rotating from
 * round to round.
 */
export async function measure(
  targets: readonly QueryTarget[],
  range: QueryRange,
  warmup: number,
  runs: number,
  log: Log,
  queries: readonly string[] = QUERIES,
): Promise<Map<string, SystemRun>> {
  const out = new Map<string, SystemRun>(targets.map((t) => [t.name, { timings: [], results: [] }]));
  for (const query of queries) {
    for (const target of targets) {
      const first = await queryRange(target, query, range);
      out.get(target.name)!.results.push(parseMatrix(target.name, query, first.body));
      for (let i = 1; i < warmup; i++) await queryRange(target, query, range);
    }
    const ms = targets.map((): number[] => []);
    for (let r = 0; r < runs; r++) {
      for (let k = 0; k < targets.length; k++) {
        const j = (k + r) % targets.length;
        ms[j]!.push((await queryRange(targets[j]!, query, range)).ms);
      }
    }
    targets.forEach((target, j) => {
      const sorted = ms[j]!.sort((a, b) => a - b);
      const t = { p50: round(percentile(sorted, 0.5)), p95: round(percentile(sorted, 0.95)) };
      const run = out.get(target.name)!;
      run.timings.push(t);
      const result = run.results[run.results.length - 1]!;
      const points = result.reduce((n, s) => n + s.values.length, 0);
      log(
        `${target.name}: ${query}: ${result.length} series, ${points} points; p50 ${t.p50} ms, p95 ${t.p95} ms`,
      );
    });
  }
  return out;
}

/** One `/api/v1/query_range` request: its body and the ms from sending it to its last byte. */
async function queryRange(
  peer: QueryTarget,
  query: string,
  range: QueryRange,
): Promise<{ body: string; ms: number }> {
  const form = new URLSearchParams({
    query,
    start: String(range.start / 1000),
    end: String(range.end / 1000),
    step: String(range.step / 1000),
  });
  const t0 = performance.now();
  const res = await fetch(`${peer.baseUrl}/api/v1/query_range`, {
    method: "POST",
    headers: { ...peer.headers, "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  const body = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${peer.name}: ${query} answered ${res.status}: ${body.slice(0, 500)}`);
  return { body, ms };
}

function parseMatrix(peer: string, query: string, body: string): MatrixResult {
  const parsed = JSON.parse(body) as { data?: { resultType?: string; result?: MatrixResult } };
  if (parsed.data?.resultType !== "matrix" || !Array.isArray(parsed.data.result))
    throw new Error(`${peer}: ${query}: not a matrix: ${body.slice(0, 300)}`);
  if (parsed.data.result.length === 0)
    throw new Error(`${peer}: ${query}: empty result; the workload is wrong`);
  return parsed.data.result;
}

/** Whether two matrices hold the same label sets, timestamps and values (relative {@link TOLERANCE}); says why not. */
export function compare(query: string, ours: MatrixResult, theirs: MatrixResult, log: Log): boolean {
  const fail = (why: string) => {
    log(`!!! DIFFERENT RESULTS for ${query}: ${why}`);
    return false;
  };
  const key = (m: Record<string, string>) =>
    JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));
  const a = new Map(ours.map((s) => [key(s.metric), s.values]));
  const b = new Map(theirs.map((s) => [key(s.metric), s.values]));
  if (a.size !== ours.length || b.size !== theirs.length) return fail("a label set appears twice");
  if (a.size !== b.size) return fail(`mirador has ${a.size} series, prometheus ${b.size}`);
  for (const [k, va] of a) {
    const vb = b.get(k);
    if (vb === undefined) return fail(`prometheus has no series ${k}`);
    if (va.length !== vb.length)
      return fail(`${k}: mirador has ${va.length} points, prometheus ${vb.length}`);
    for (let i = 0; i < va.length; i++) {
      const [ta, xa] = va[i]!;
      const [tb, xb] = vb[i]!;
      if (ta !== tb) return fail(`${k}: point ${i} at ${ta} in mirador, ${tb} in prometheus`);
      if (!close(Number(xa), Number(xb))) return fail(`${k} at ${ta}: mirador ${xa}, prometheus ${xb}`);
    }
  }
  return true;
}

function close(x: number, y: number): boolean {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  if (x === y) return true;
  return Math.abs(x - y) <= TOLERANCE * Math.max(Math.abs(x), Math.abs(y));
}

/** Nearest-rank percentile of sorted `xs`. */
function percentile(xs: readonly number[], q: number): number {
  return xs[Math.max(0, Math.ceil(q * xs.length) - 1)]!;
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
