import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import * as zlib from "node:zlib";
import type { Log } from "../metrics/bench/peers.js";
import { formatStreamLabels, type PushEntry } from "../wire/loki/index.js";
import { encodePushSnappy } from "../wire/loki/push-encode.js";
import { type LogsSeed, startLogsSeed } from "./bench-seed.js";
import { CORPUS_KINDS, logCorpus } from "./store/log-corpus.js";

/**
 * `npm run bench -- logs [--lines N] [--tenants N] [--lines-per-push N] [--inflight N] [--rounds N]
 * [--seed S]`: the logs role end to end, against the bars of its issue (ingest ≥ 100K lines per
 * CPU-second, disk ≤ `gzip -1`, `|=` ≥ 500 MB/s per core).
 *
 * The corpus is `log-corpus.ts`'s (JSON access logs, logfmt, plain text with trace ids, nested JSON
 * application logs, klog) for each of `--tenants` tenants (default 20), five streams each, 1M lines
 * in all by default, timestamps spread over the last hour, in order per stream. It is pre-encoded
 * into push bodies of `--lines-per-push` lines (default 1,000: a tenant's five streams, as one
 * promtail batch), protobuf + snappy, and posted to `/loki/api/v1/push` with `--inflight` (default
 * 4) requests in flight so the WAL's group commit works as in production; a tenant's bodies go in
 * order. The seed is its own process (`bench-seed.ts`): CPU (utime + stime) and peak RSS (VmHWM)
 * come from /proc and are the seed's alone.
 *
 * Figures (the last stdout line):
 * - `mirador.lines_per_cpu_second`, `mb_per_cpu_second`: the corpus over the seed's CPU seconds
 *   during the pushes and the flush that follows them (the flush compresses and writes what the
 *   pushes left in memory: part of ingesting); MB = 10^6 bytes of raw log (lines plus newlines, as a
 *   log file);
 * - `rss_mb`: the seed's peak RSS (10^6 bytes) once everything is pushed and flushed;
 * - `disk_bytes_per_line`: every file under `<data_dir>/logs` after `POST /flush` (blocks, and what is
 *   left of the WAL), per line; if the seed has no `/flush` yet, that is the WAL, and stderr says so;
 * - `filter_scan_mb_per_cpu_second`: raw corpus MB over the seed's CPU seconds to answer
 *   `sum(count_over_time({cluster="demo-1"} |= "slow consumer" [1m]))` for every tenant, over the
 *   corpus's whole time range with a 1 m step, so every line is read once (a log query would stop at
 *   its `limit`). The needle is in about 1 % of the lines;
 * - `metric_query_mb_per_cpu_second`: the same for
 *   `sum by (level) (count_over_time({cluster="demo-1"} | json | __error__="" [1m]))`: `| json` runs on
 *   every line, and the `__error__=""` filter drops the non-JSON ones (logfmt, text, klog), without
 *   which Loki, and the seed, refuse the query with a pipeline error. The same query over the JSON
 *   streams alone (`{format="json"}`, their bytes) is on stderr;
 * - `gzip1_bytes_per_line`, `zstd1_bytes_per_line`: `gzip -1` (zlib) and `zstd -1` (the CLI, else
 *   node:zlib's zstd where Node has it, else null) of the raw corpus as one file, stream after stream,
 *   each in time order.
 * Each scan is timed `--rounds` times (default 3; fewer once a query has used 15 seed CPU seconds) and
 * the fastest round counts; every round is on stderr, with a check of each query's count against the
 * corpus (a mismatch is flagged with `!!!`).
 */

const SPAN_MS = 50 * 60_000;
const NEEDLE = "slow consumer";
const FILTER_QUERY = `sum(count_over_time({cluster="demo-1"} |= "${NEEDLE}" [1m]))`;
const METRIC_QUERY = 'sum by (level) (count_over_time({cluster="demo-1"} | json | __error__="" [1m]))';
const JSON_STREAMS_QUERY = 'sum by (level) (count_over_time({format="json"} | json [1m]))';
const COUNT_QUERY = 'sum(count_over_time({cluster="demo-1"} [1m]))';
/** Seed CPU seconds after which a query is not timed again (its rounds differ little by then). */
const ROUNDS_CPU_BUDGET = 15;

/** The corpus, ready to send, and what the queries must find in it. */
interface Workload {
  readonly lines: number;
  readonly bodies: Uint8Array[];
  /** The tenant of each body. */
  readonly bodyTenants: string[];
  readonly tenants: string[];
  /** The raw corpus as one file (lines and newlines), stream after stream. */
  readonly raw: Buffer;
  readonly firstNs: bigint;
  readonly lastNs: bigint;
  /** Lines containing {@link NEEDLE}. */
  readonly needleLines: number;
  /** Lines (and their raw bytes, newlines included) of the JSON streams. */
  readonly jsonLines: number;
  readonly jsonBytes: number;
}

function positive(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} ${text}: expected a positive integer`);
  return n;
}

/** Builds the corpus of every tenant and encodes it into push bodies, a tenant's bodies `tenants` apart. */
function buildWorkload(opts: {
  lines: number;
  tenants: number;
  linesPerPush: number;
  seed: number;
}): Workload {
  const tenants = Array.from({ length: opts.tenants }, (_, t) => `bench-${String(t).padStart(2, "0")}`);
  const perStreamMax = Math.ceil(opts.lines / opts.tenants / CORPUS_KINDS.length);
  // Dense enough that a tiny corpus still ends well inside the hour (the gaps are random).
  const linesPerSecond = Math.max(perStreamMax, 100) / (SPAN_MS / 1000);
  const startMs = Date.now() - SPAN_MS - 5 * 60_000;
  const perBodyPerStream = Math.max(1, Math.round(opts.linesPerPush / CORPUS_KINDS.length));
  /** bodies[k][t]: tenant t's k-th body. */
  const batches: Uint8Array[][] = [];
  const rawParts: Buffer[] = [];
  let firstNs = BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000_000n;
  let lastNs = 0n;
  let needleLines = 0;
  let jsonLines = 0;
  let jsonBytes = 0;
  for (let t = 0; t < tenants.length; t++) {
    const streams = logCorpus({
      seed: opts.seed * 1000 + t,
      lines: Math.floor(opts.lines / opts.tenants) + (t < opts.lines % opts.tenants ? 1 : 0),
      startMs,
      linesPerSecond,
    });
    const labels = streams.map((s) => formatStreamLabels(Object.entries(s.labels)));
    const longest = Math.max(...streams.map((s) => s.lines.length));
    for (let k = 0; k * perBodyPerStream < longest; k++) {
      const from = k * perBodyPerStream;
      const req = {
        streams: streams
          .map((s, i) => {
            const entries: PushEntry[] = [];
            for (let j = from; j < Math.min(from + perBodyPerStream, s.lines.length); j++)
              entries.push({ timestampNs: s.ts[j]!, line: s.lines[j]! });
            return { labels: labels[i]!, entries };
          })
          .filter((s) => s.entries.length > 0),
      };
      const batch = batches[k] ?? [];
      batch[t] = encodePushSnappy(req);
      batches[k] = batch;
    }
    for (const s of streams) {
      if (s.lines.length === 0) continue;
      const text = Buffer.from(`${s.lines.join("\n")}\n`);
      rawParts.push(text);
      if (s.ts[0]! < firstNs) firstNs = s.ts[0]!;
      if (s.ts[s.ts.length - 1]! > lastNs) lastNs = s.ts[s.ts.length - 1]!;
      for (const l of s.lines) if (l.includes(NEEDLE)) needleLines++;
      if (s.labels.format === "json") {
        jsonLines += s.lines.length;
        jsonBytes += text.length;
      }
    }
  }
  const bodies: Uint8Array[] = [];
  const bodyTenants: string[] = [];
  for (const batch of batches) {
    batch.forEach((b, t) => {
      bodies.push(b);
      bodyTenants.push(tenants[t]!);
    });
  }
  return {
    lines: opts.lines,
    bodies,
    bodyTenants,
    tenants,
    raw: Buffer.concat(rawParts),
    firstNs,
    lastNs,
    needleLines,
    jsonLines,
    jsonBytes,
  };
}

/** `zstd -1` of `raw` in bytes: the CLI if installed, else Node's zlib when it has zstd, else null. */
function zstd1Bytes(raw: Buffer, log: Log): number | null {
  const cli = spawnSync("zstd", ["-1", "-c", "-q"], { input: raw, maxBuffer: raw.length + (1 << 20) });
  if (cli.status === 0) return cli.stdout.length;
  // Node ≥ 22.15 has zstd; the types of Node 20 do not know it.
  const z = zlib as unknown as {
    zstdCompressSync?: (b: Buffer, o: { params: Record<number, number> }) => Buffer;
    constants: { ZSTD_c_compressionLevel?: number };
  };
  const level = z.constants.ZSTD_c_compressionLevel;
  if (z.zstdCompressSync !== undefined && level !== undefined) {
    log("zstd CLI not available: zstd -1 from node:zlib");
    return z.zstdCompressSync(raw, { params: { [level]: 1 } }).length;
  }
  log("!!! no zstd CLI and no zstd in node:zlib: zstd1_bytes_per_line is null");
  return null;
}

/** The sum of every value of a query_range matrix answer: lines counted when step equals the range. */
function matrixTotal(answer: unknown): number {
  const result = (answer as { data?: { result?: { values?: [number, string][] }[] } }).data?.result ?? [];
  let n = 0;
  for (const series of result) for (const [, v] of series.values ?? []) n += Number(v);
  return n;
}

/**
 * Runs `query` for every tenant over the corpus's time range `rounds` times; returns the seed's CPU
 * seconds of the fastest round and the lines counted (the same every round, or it throws).
 */
async function timeQuery(
  seed: LogsSeed,
  w: Workload,
  query: string,
  rounds: number,
  log: Log,
): Promise<{ cpu: number; count: number }> {
  const params = {
    query,
    start: String(w.firstNs / 1_000_000_000n),
    end: String(w.lastNs / 1_000_000_000n + 61n),
    step: "60",
  };
  let best = Number.POSITIVE_INFINITY;
  let count = -1;
  const all: string[] = [];
  // A slow query's rounds differ little; past ROUNDS_CPU_BUDGET seconds it is not run again.
  let spent = 0;
  for (let r = 0; r < rounds && spent < ROUNDS_CPU_BUDGET; r++) {
    let n = 0;
    const cpu0 = seed.cpuSeconds();
    for (const tenant of w.tenants) n += matrixTotal(await seed.queryRange(tenant, params));
    const cpu = seed.cpuSeconds() - cpu0;
    if (count >= 0 && n !== count) throw new Error(`${query}: counted ${count}, then ${n} lines`);
    count = n;
    best = Math.min(best, cpu);
    spent += cpu;
    all.push(cpu.toFixed(2));
  }
  log(`${query}: ${count} lines; seed CPU seconds per round ${all.join(", ")}`);
  return { cpu: best, count };
}

function check(what: string, got: number, want: number, log: Log): void {
  if (got !== want) log(`!!! ${what}: the seed counted ${got} lines, the corpus has ${want}`);
}

const round = (x: number, d = 0): number => Number(x.toFixed(d));

/** Runs the benchmark; see the file comment. */
export async function run(argv: string[]): Promise<object> {
  const { values } = parseArgs({
    args: argv,
    options: {
      lines: { type: "string", default: "1000000" },
      tenants: { type: "string", default: "20" },
      "lines-per-push": { type: "string", default: "1000" },
      inflight: { type: "string", default: "4" },
      rounds: { type: "string", default: "3" },
      seed: { type: "string", default: "1" },
    },
  });
  const started = performance.now();
  const log: Log = (msg) =>
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${msg}\n`);
  const lines = positive("--lines", values.lines);
  const inflight = positive("--inflight", values.inflight);
  const rounds = positive("--rounds", values.rounds);
  const tenants = positive("--tenants", values.tenants);

  log(`building ${lines} lines for ${tenants} tenants × ${CORPUS_KINDS.length} streams…`);
  const w = buildWorkload({
    lines,
    tenants,
    linesPerPush: positive("--lines-per-push", values["lines-per-push"]),
    seed: positive("--seed", values.seed),
  });
  const rawBytes = w.raw.length;
  const rawMB = rawBytes / 1e6;
  const bodyBytes = w.bodies.reduce((n, b) => n + b.length, 0);
  log(
    `corpus: ${rawMB.toFixed(1)} MB raw (${(rawBytes / lines).toFixed(1)} bytes/line), ` +
      `${w.bodies.length} push bodies, ${(bodyBytes / 1e6).toFixed(1)} MB protobuf + snappy`,
  );
  // Baselines first, while the seed is not running: this process would compete with it for CPU.
  const gzip1 = zlib.gzipSync(w.raw, { level: 1 }).length;
  const zstd1 = zstd1Bytes(w.raw, log);
  log(`gzip -1: ${gzip1} bytes; zstd -1: ${zstd1 ?? "n/a"} bytes`);

  const seed = await startLogsSeed(log);
  try {
    log(`seed pid ${seed.pid} at ${seed.base}; pushing with ${inflight} in flight…`);
    const cpu0 = seed.cpuSeconds();
    const t0 = performance.now();
    await seed.pushAll(w.bodies, w.bodyTenants, inflight, tenants);
    const wall = (performance.now() - t0) / 1000;
    const ingestCpu = seed.cpuSeconds() - cpu0;
    log(
      `ingest: ${ingestCpu.toFixed(2)} CPU s, ${wall.toFixed(2)} s wall ` +
        `(${round(lines / wall)} lines/s, ${(rawMB / wall).toFixed(1)} MB/s wall-clock)`,
    );
    const cpu1 = seed.cpuSeconds();
    const flushed = await seed.flush();
    const flushCpu = seed.cpuSeconds() - cpu1;
    const disk = seed.diskBytes();
    const rss = seed.peakRssBytes();
    log(
      `flush: ${flushed}, ${flushCpu.toFixed(2)} CPU s (ingest with the flush: ${round(lines / (ingestCpu + flushCpu))} lines/CPU s); ${disk} bytes under <data_dir>/logs ` +
        `(${(disk / gzip1).toFixed(3)} × gzip -1); peak RSS ${(rss / 1e6).toFixed(0)} MB`,
    );

    const counted = await timeQuery(seed, w, COUNT_QUERY, 1, log);
    check("count_over_time of everything", counted.count, lines, log);
    const filter = await timeQuery(seed, w, FILTER_QUERY, rounds, log);
    check(`|= "${NEEDLE}"`, filter.count, w.needleLines, log);
    const metric = await timeQuery(seed, w, METRIC_QUERY, rounds, log);
    check('| json | __error__=""', metric.count, w.jsonLines, log);
    const jsonOnly = await timeQuery(seed, w, JSON_STREAMS_QUERY, 1, log);
    check('{format="json"} | json', jsonOnly.count, w.jsonLines, log);
    log(
      `scan: |= ${round(rawMB / filter.cpu)} MB/CPU s; | json over everything ${round(rawMB / metric.cpu)} MB/CPU s; ` +
        `| json over the JSON streams alone ${round(w.jsonBytes / 1e6 / jsonOnly.cpu)} MB/CPU s ` +
        `(${(w.jsonBytes / 1e6).toFixed(1)} MB); peak RSS after the queries ${(seed.peakRssBytes() / 1e6).toFixed(0)} MB`,
    );
    return {
      mirador: {
        lines_per_cpu_second: round(lines / (ingestCpu + flushCpu)),
        mb_per_cpu_second: round(rawMB / (ingestCpu + flushCpu), 1),
        rss_mb: round(rss / 1e6),
        disk_bytes_per_line: round(disk / lines, 2),
        filter_scan_mb_per_cpu_second: round(rawMB / filter.cpu),
        metric_query_mb_per_cpu_second: round(rawMB / metric.cpu),
      },
      gzip1_bytes_per_line: round(gzip1 / lines, 2),
      zstd1_bytes_per_line: zstd1 === null ? null : round(zstd1 / lines, 2),
    };
  } finally {
    await seed.stop();
  }
}
