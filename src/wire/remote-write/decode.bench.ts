/**
 * Micro-benchmark of the remote-write decoders on a node-exporter-like request: 2,000 series of
 * 6–10 labels, with 1 sample per series (a scrape's worth) and with 120 (a backlog being replayed).
 *
 * Decoders measured, each on the same uncompressed bytes:
 * - `object`: {@link decodeWriteRequestV1}, which builds the whole request as objects;
 * - `object_lookup`: the same, then what a receiver does next to find each series in a head:
 *   `Labels.fromPairs(…).key()` looked up in a `Map` of every series (the fair comparison with `fast`);
 * - `fast`: {@link FastDecoderV1} with a sink that finds every series in a `Map` keyed by
 *   {@link RawLabels.hash} and confirms it with {@link RawLabels.equals} (all series already exist,
 *   the common case for a head), and sums the samples;
 * - `fast_batch`: the same, with a sink that takes samples in runs ({@link WriteSink.samples});
 * - `protobufjs`: protobufjs's generated-at-runtime decoder (a schema written here), for reference;
 * - `v2_object`, `v2_object_lookup`, `v2_fast`, `v2_fast_batch`: the same series as a remote-write
 *   2.0 request, decoded by {@link decodeRequestV2} (alone, then with the lookup of
 *   `object_lookup`) and by {@link FastDecoderV2} with the sinks of `fast` and
 *   `fast_batch`, whose series were learned from the 1.0 request (the hash does not depend on the
 *   protocol version, so none is missed).
 *
 * Figures (keys `<decoder>.<samples per series>x2000.<figure>`):
 * - `samples_per_s`: samples decoded per second, from the best of several timed batches (the
 *   decoders' batches take turns, so that changes in the machine's load fall on all alike);
 * - `bytes_per_sample`: heap bytes allocated per sample: the growth of
 *   `process.memoryUsage().heapUsed` across a run of back-to-back decodes started right after a full
 *   GC, less the growth across an empty run, divided by the samples decoded; the median of several
 *   runs. A run decodes as many times as fit about 4 MiB of allocation (at most 50), to dwarf the
 *   heap's accounting noise. Runs during which a GC happened (seen by a `PerformanceObserver` on
 *   `gc` entries) are dropped, since a GC hides allocation; `<…>.alloc_runs` says how many were kept
 *   (0: the figure is NaN; a larger young generation, `node --max-semi-space-size=64`, helps). GC is
 *   reached through `--expose-gc` or, without it, `v8.setFlagsFromString`.
 *
 * Timings vary with the machine and its load; no test asserts them.
 */
import { PerformanceObserver, performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { Labels } from "../../model/labels.js";
import { FastDecoderV1 } from "./fast-v1.js";
import { FastDecoderV2 } from "./fast-v2.js";
import type { RawLabels } from "./raw-labels.js";
import { decodeWriteRequestV1, encodeWriteRequestV1, type TimeSeriesV1 } from "./v1.js";
import { decodeRequestV2, encodeRequestV2 } from "./v2.js";
import type { WriteSink } from "./write-sink.js";

const SERIES = 2000;
const TIMED_BATCHES = 8;
const ALLOC_RUNS = 9;
// Heap growth aimed at per allocation run: well above the accounting noise, within the young generation.
const ALLOC_BYTES_PER_RUN = 4 << 20;
// Each timed batch decodes about this many samples, so that batches last tens of milliseconds.
const SAMPLES_PER_BATCH = 100_000;

/** Runs the benchmark and returns its figures by name (see the file comment for their meaning). */
export async function run(): Promise<Record<string, number>> {
  const protobuf = (await import("protobufjs")).default;
  const pbWriteRequest = protobuf
    .parse(`
      syntax = "proto3";
      package prometheus;
      message WriteRequest { repeated TimeSeries timeseries = 1; }
      message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
      message Label { string name = 1; string value = 2; }
      message Sample { double value = 1; int64 timestamp = 2; }
    `)
    .root.lookupType("prometheus.WriteRequest");
  const gc = getGc();
  const out: Record<string, number> = {};
  for (const perSeries of [1, 120]) {
    const series = nodeExporterSeries(SERIES, perSeries);
    const buf = encodeWriteRequestV1({ timeseries: series, metadata: [] });
    const buf2 = encodeRequestV2({
      timeseries: series.map((ts) => ({
        labels: ts.labels,
        samples: ts.samples.map((s) => ({ ...s, startTimestamp: 0 })),
        histograms: [],
        exemplars: [],
        metadata: { type: 0, help: "", unit: "" },
      })),
    });
    const samples = SERIES * perSeries;
    const key = `${perSeries}x${SERIES}`;
    out[`request.${key}.bytes`] = buf.length;
    out[`request_v2.${key}.bytes`] = buf2.length;

    const sink = new LookupSink();
    const batchSink = new BatchLookupSink();
    const decoder = new FastDecoderV1();
    const decoder2 = new FastDecoderV2();
    sink.learning = batchSink.learning = true;
    decoder.decode(buf, sink); // every series now exists
    decoder.decode(buf, batchSink);
    sink.learning = batchSink.learning = false;

    // What a receiver does with the object decoders' output to find its series.
    const byKey = new Map<string, number>();
    const lookup = (ts: {
      labels: { name: string; value: string }[];
      samples: { value: number }[];
    }): number => {
      const ref = byKey.get(Labels.fromPairs(ts.labels.flatMap((l) => [l.name, l.value])).key());
      let sum = 0;
      for (const s of ts.samples) sum += s.value;
      return ref === undefined ? -1 : sum;
    };
    for (const ts of series)
      byKey.set(Labels.fromPairs(ts.labels.flatMap((l) => [l.name, l.value])).key(), byKey.size);

    const decoders: [string, () => number][] = [
      ["object", () => decodeWriteRequestV1(buf).timeseries.length],
      [
        "object_lookup",
        () => {
          let misses = 0;
          for (const ts of decodeWriteRequestV1(buf).timeseries) if (lookup(ts) < -0.5) misses++;
          return misses;
        },
      ],
      [
        "fast",
        () => {
          decoder.decode(buf, sink);
          return sink.count;
        },
      ],
      [
        "fast_batch",
        () => {
          decoder.decode(buf, batchSink);
          return batchSink.count;
        },
      ],
      [
        "protobufjs",
        () => (pbWriteRequest.decode(buf) as unknown as { timeseries: unknown[] }).timeseries.length,
      ],
      ["v2_object", () => decodeRequestV2(buf2).timeseries.length],
      [
        "v2_object_lookup",
        () => {
          let misses = 0;
          for (const ts of decodeRequestV2(buf2).timeseries) if (lookup(ts) < -0.5) misses++;
          return misses;
        },
      ],
      [
        "v2_fast",
        () => {
          decoder2.decode(buf2, sink);
          return sink.count;
        },
      ],
      [
        "v2_fast_batch",
        () => {
          decoder2.decode(buf2, batchSink);
          return batchSink.count;
        },
      ],
    ];
    const rates = samplesPerSecond(
      decoders.map(([, decode]) => decode),
      samples,
    );
    for (const [i, [name, decode]] of decoders.entries()) {
      out[`${name}.${key}.samples_per_s`] = rates[i]!;
      const [bytes, kept] = await bytesPerSample(decode, samples, gc);
      out[`${name}.${key}.bytes_per_sample`] = bytes;
      out[`${name}.${key}.alloc_runs`] = kept;
    }
    const misses = sink.misses + batchSink.misses;
    if (misses !== 0) throw new Error(`bench: ${misses} series were not found by hash`);
  }
  return out;
}

/** Finds each series by hash, as a head that already holds every series would. */
class LookupSink implements WriteSink {
  readonly #byHash = new Map<number, { labels: Labels; ref: number }>();
  /** When set, unknown series are added; otherwise they are counted as misses. */
  learning = false;
  misses = 0;
  count = 0;
  sum = 0;

  series(labels: RawLabels): number {
    const hit = this.#byHash.get(labels.hash);
    if (hit !== undefined && labels.equals(hit.labels)) return hit.ref;
    if (!this.learning) {
      this.misses++;
      return -1;
    }
    if (labels.problem() !== undefined) return -1;
    const ref = this.#byHash.size;
    this.#byHash.set(labels.hash, { labels: labels.toLabels(), ref });
    return ref;
  }

  sample(_handle: number, _t: number, v: number): void {
    this.count++;
    this.sum += v;
  }
}

/** {@link LookupSink} taking samples in batches ({@link WriteSink.samples}). */
class BatchLookupSink extends LookupSink {
  samples(_handle: number, count: number, _timestamps: Float64Array, values: Float64Array): void {
    this.count += count;
    for (let i = 0; i < count; i++) this.sum += values[i]!;
  }
}

/**
 * Samples per second of each decoder, from its best batch. Batches of the decoders take turns, so
 * that a change in the machine's load falls on all of them alike.
 */
function samplesPerSecond(decoders: (() => number)[], samplesPerCall: number): number[] {
  const calls = Math.max(1, Math.round(SAMPLES_PER_BATCH / samplesPerCall));
  let sink = 0;
  for (const decode of decoders) for (let i = 0; i < calls; i++) sink += decode(); // warm-up
  const best = decoders.map(() => Number.POSITIVE_INFINITY);
  for (let b = 0; b < TIMED_BATCHES; b++) {
    for (const [d, decode] of decoders.entries()) {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) sink += decode();
      best[d] = Math.min(best[d]!, performance.now() - t0);
    }
  }
  if (sink < 0) throw new Error("unreachable");
  return best.map((ms) => Math.round((calls * samplesPerCall) / (ms / 1000)));
}

async function bytesPerSample(
  decode: () => number,
  samplesPerCall: number,
  gc: () => void,
): Promise<[number, number]> {
  let gcs = 0;
  const observer = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  observer.observe({ entryTypes: ["gc"] });
  // Heap growth of `calls` decodes, or NaN when a GC ran meanwhile.
  const measure = async (calls: number): Promise<number> => {
    gc();
    await flush();
    const before = gcs;
    const h0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < calls; i++) decode();
    const h1 = process.memoryUsage().heapUsed;
    await flush();
    return gcs === before ? h1 - h0 : Number.NaN;
  };
  const kept: number[] = [];
  try {
    // Enough decodes per run to dwarf the heap's accounting noise, few enough to fit the young generation.
    const probe = await measure(1);
    const calls = Math.max(1, Math.min(50, Math.floor(ALLOC_BYTES_PER_RUN / Math.max(1, probe || 0))));
    const noise = await measure(0);
    for (let i = 0; i < ALLOC_RUNS; i++) {
      const grown = await measure(calls);
      if (!Number.isNaN(grown))
        kept.push((grown - (Number.isNaN(noise) ? 0 : noise)) / (calls * samplesPerCall));
    }
  } finally {
    observer.disconnect();
  }
  kept.sort((a, b) => a - b);
  const median = kept.length === 0 ? Number.NaN : kept[kept.length >> 1]!;
  return [Math.round(Math.max(0, median) * 10) / 10, kept.length];
}

/** Lets pending observer callbacks run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function getGc(): () => void {
  const global = globalThis as { gc?: () => void };
  if (typeof global.gc === "function") return global.gc;
  v8.setFlagsFromString("--expose-gc");
  const gc: unknown = vm.runInNewContext("gc");
  if (typeof gc !== "function") throw new Error("bench: cannot reach gc(); run node with --expose-gc");
  return gc as () => void;
}

const FAMILIES: [string, Record<string, string[]>][] = [
  [
    "node_cpu_seconds_total",
    { cpu: ["0", "1", "2", "3", "4", "5", "6", "7"], mode: ["idle", "user", "system", "iowait"] },
  ],
  [
    "node_filesystem_avail_bytes",
    {
      device: ["/dev/nvme0n1p1", "/dev/nvme0n1p2", "tmpfs"],
      fstype: ["ext4"],
      mountpoint: ["/", "/var", "/run"],
    },
  ],
  ["node_network_receive_bytes_total", { device: ["eth0", "eth1", "lo", "cni0"] }],
  ["node_disk_read_bytes_total", { device: ["nvme0n1", "sda", "sdb"] }],
  ["node_memory_MemAvailable_bytes", {}],
  ["node_load1", {}],
];

/** `n` series with `perSeries` samples each, spread over many hosts of a few clusters. */
function nodeExporterSeries(n: number, perSeries: number): TimeSeriesV1[] {
  const out: TimeSeriesV1[] = [];
  let seed = 42;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const seen = new Set<string>();
  while (out.length < n) {
    const [name, extra] = pick(FAMILIES);
    const host = Math.floor(rand() * 250);
    const labels: Record<string, string> = {
      __name__: name,
      cluster: pick(["prod-eu-1", "prod-us-2", "staging"]),
      instance: `10.0.${host >> 4}.${host & 15}:9100`,
      job: "node-exporter",
      namespace: "monitoring",
      pod: `node-exporter-${(host * 7919).toString(36).padStart(5, "x")}`,
      service: "node-exporter",
    };
    for (const [k, vs] of Object.entries(extra)) labels[k] = pick(vs);
    const key = JSON.stringify(labels);
    if (seen.has(key)) continue;
    seen.add(key);
    const names = Object.keys(labels).sort();
    const t0 = 1_700_000_000_000 + Math.floor(rand() * 15_000);
    const counter = Math.floor(rand() * 1e9);
    out.push({
      labels: names.map((k) => ({ name: k, value: labels[k]! })),
      samples: Array.from({ length: perSeries }, (_, i) => ({
        value: name.endsWith("_total") ? counter + i * 1000 : rand() * 1e10,
        timestamp: t0 + i * 15_000,
      })),
      exemplars: [],
      histogramCount: 0,
    });
  }
  return out;
}
