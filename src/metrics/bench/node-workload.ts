import snappy from "snappy";
import { decodeWriteRequestV1 } from "../../wire/remote-write/v1.js";
import { EncodedSeries } from "./encoded-series.js";

/** Shape of a remote-write workload. */
export interface WorkloadSpec {
  /** Number of series. */
  readonly series: number;
  /** Samples per series, one per scrape interval, in order. */
  readonly samples: number;
  /** Scrape interval, ms. */
  readonly intervalMs: number;
  /** Series per request. */
  readonly seriesPerRequest: number;
  /** Timestamp of the first sample, ms. */
  readonly startMs: number;
}

/** Pre-encoded request bodies (snappy-compressed remote-write 1.0) and what they hold. */
export interface Workload {
  /** In sending order: scrape after scrape, each scrape's series in batches. */
  readonly bodies: Uint8Array[];
  readonly totalSamples: number;
  /** Bytes of the protobuf before snappy. */
  readonly rawBytes: number;
  /** Bytes of the bodies as kept (snappy-compressed). */
  readonly compressedBytes: number;
  /** Requests per scrape: body `i` holds the next samples of the series of body `i - requestsPerScrape`. */
  readonly requestsPerScrape: number;
  /** Timestamp of the first scrape, ms. */
  readonly firstMs: number;
  /** Timestamp of the last scrape, ms. */
  readonly lastMs: number;
}

const DEVICES = ["sda", "sdb", "nvme0n1", "eth0", "eth1", "lo", "docker0", "veth1a2b"];
const MODES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"];
const MOUNTS = ["/", "/boot", "/var/lib/kubelet", "/var/lib/containerd", "/run", "/data"];
const PER_DEVICE = [
  "node_disk_reads_completed_total",
  "node_disk_writes_completed_total",
  "node_disk_read_bytes_total",
  "node_disk_written_bytes_total",
  "node_disk_io_time_seconds_total",
  "node_network_receive_bytes_total",
  "node_network_transmit_bytes_total",
  "node_network_receive_packets_total",
  "node_network_transmit_packets_total",
  "node_network_receive_errs_total",
];
const PER_MOUNT = [
  "node_filesystem_size_bytes",
  "node_filesystem_free_bytes",
  "node_filesystem_avail_bytes",
  "node_filesystem_files",
  "node_filesystem_files_free",
  "node_filesystem_readonly",
];

/**
 * Label sets like a fleet of node-exporters: per host about 900 series (cpu × mode, memory
 * fields, filesystems, disks, network), with `cluster`, `job`, `instance` and per-metric labels.
 */
export function* nodeExporterSeries(): Generator<WorkloadSeries> {
  for (let host = 0; ; host++) {
    const base = [
      { name: "cluster", value: `edge-${Math.floor(host / 50)}` },
      { name: "instance", value: `10.${(host >> 16) & 255}.${(host >> 8) & 255}.${host & 255}:9100` },
      { name: "job", value: "node-exporter" },
    ];
    const make = (name: string, extra: Record<string, string>, counter: boolean) => ({
      labels: [
        { name: "__name__", value: name },
        ...base,
        ...Object.entries(extra).map(([n, v]) => ({ name: n, value: v })),
      ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      counter,
    });
    for (let cpu = 0; cpu < 16; cpu++)
      for (const mode of MODES) yield make("node_cpu_seconds_total", { cpu: String(cpu), mode }, true);
    for (let i = 0; i < 120; i++) yield make(`node_memory_Field${i}_bytes`, {}, false);
    for (const mountpoint of MOUNTS)
      for (const m of PER_MOUNT)
        yield make(m, { device: `/dev/mapper/vg-${mountpoint.length}`, fstype: "ext4", mountpoint }, false);
    for (const device of DEVICES) for (const m of PER_DEVICE) yield make(m, { device }, true);
    for (let i = 0; i < 516; i++)
      yield make(`node_misc_metric_${i % 86}`, { index: String(Math.floor(i / 86)) }, i % 2 === 0);
  }
}

/** A label set of a workload, and whether it is a counter (else a gauge). */
export interface WorkloadSeries {
  labels: { name: string; value: string }[];
  counter: boolean;
}

/**
 * Where a workload's series and values come from, when not from {@link nodeExporterSeries} with
 * its random counters and gauges.
 */
export interface SeriesSource {
  /** The label sets, in series order; at least `spec.series` of them. */
  readonly series: Iterator<WorkloadSeries>;
  /**
   * Sets `values[from, to)` to the samples of scrape `scrape` (0-based); called scrape after scrape,
   * each scrape's batches in order, instead of the random walk. `values` holds the previous scrape's.
   */
  readonly advance?: (from: number, to: number, values: Float64Array, scrape: number) => void;
}

/**
 * Builds every request of the workload up front, so the sender spends no CPU encoding while the
 * server is measured: for each scrape in order, the series in batches of `seriesPerRequest`. What
 * is held is compact: the snappy-compressed bodies (about 18 bytes per sample of node-exporter
 * series), each series' labels encoded once ({@link EncodedSeries}, about 125 bytes per series),
 * and one value and one flag per series — so a million series cost no JS object each. `source`
 * replaces the node-exporter series and their random values.
 */
export function buildWorkload(spec: WorkloadSpec, source?: SeriesSource): Workload {
  const encoded = new EncodedSeries(spec.series);
  const counter = new Uint8Array(spec.series);
  const values = new Float64Array(spec.series);
  const gen = source?.series ?? nodeExporterSeries();
  const advance = source?.advance;
  let first: { name: string; value: string }[] = [];
  for (let i = 0; i < spec.series; i++) {
    const r = gen.next();
    if (r.done) throw new Error(`the workload's series source ended after ${i} of ${spec.series} series`);
    const c = r.value;
    if (i === 0) first = c.labels;
    encoded.add(c.labels);
    counter[i] = c.counter ? 1 : 0;
    values[i] = c.counter ? Math.floor(Math.random() * 1e6) : Math.random() * 1e9;
  }
  encoded.trim();
  const bodies: Uint8Array[] = [];
  let rawBytes = 0;
  let compressedBytes = 0;
  for (let s = 0; s < spec.samples; s++) {
    const t = spec.startMs + s * spec.intervalMs;
    for (let from = 0; from < spec.series; from += spec.seriesPerRequest) {
      const to = Math.min(spec.series, from + spec.seriesPerRequest);
      if (advance) advance(from, to, values, s);
      else {
        for (let i = from; i < to; i++) {
          // Counters grow by irregular amounts; gauges wander around their level.
          values[i] =
            counter[i] === 1
              ? values[i]! + Math.floor(Math.random() * 1000)
              : values[i]! * (1 + (Math.random() - 0.5) * 0.01);
        }
      }
      const raw = encoded.writeRequest(from, to, values, t);
      if (bodies.length === 0) checkFirstRequest(raw, to - from, first, values[0]!, t);
      rawBytes += raw.length;
      // Not wire/snappy.ts's snappyCompress: its result is an external buffer that holds on to the
      // native output allocation (the worst-case compressed size) and that V8's heap accounting does
      // not see, so thousands of them took this process to 2.5 GB RSS for 213 MB of bodies.
      // `copyOutputData` gives a JS-owned buffer of the exact size and frees the native one at once.
      const body = snappy.compressSync(raw, { copyOutputData: true });
      compressedBytes += body.length;
      bodies.push(body);
    }
  }
  return {
    bodies,
    totalSamples: spec.series * spec.samples,
    rawBytes,
    compressedBytes,
    requestsPerScrape: Math.ceil(spec.series / spec.seriesPerRequest),
    firstMs: spec.startMs,
    lastMs: spec.startMs + (spec.samples - 1) * spec.intervalMs,
  };
}

/** Decodes the first request with the reference decoder: the hand-assembled bytes must say what was meant. */
function checkFirstRequest(
  raw: Uint8Array,
  series: number,
  labels: { name: string; value: string }[],
  value: number,
  t: number,
): void {
  const req = decodeWriteRequestV1(raw);
  const ts = req.timeseries[0];
  const ok =
    req.timeseries.length === series &&
    ts !== undefined &&
    JSON.stringify(ts.labels) === JSON.stringify(labels) &&
    ts.samples.length === 1 &&
    ts.samples[0]!.value === value &&
    ts.samples[0]!.timestamp === t;
  if (!ok) throw new Error("the workload's first request does not decode to what was encoded");
}
