import { encodeWriteRequestV1, type TimeSeriesV1 } from "../../wire/remote-write/v1.js";
import { snappyCompress } from "../../wire/snappy.js";

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
  readonly bodies: Buffer[];
  readonly totalSamples: number;
  readonly rawBytes: number;
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
export function* nodeExporterSeries(): Generator<{
  labels: { name: string; value: string }[];
  counter: boolean;
}> {
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

/**
 * Builds every request of the workload up front, so the sender spends no CPU encoding while the
 * server is measured: for each scrape in order, the series in batches of `seriesPerRequest`.
 */
export function buildWorkload(spec: WorkloadSpec): Workload {
  const gen = nodeExporterSeries();
  const series = Array.from({ length: spec.series }, () => gen.next().value!);
  const values = new Float64Array(spec.series);
  for (let i = 0; i < spec.series; i++)
    values[i] = series[i]!.counter ? Math.floor(Math.random() * 1e6) : Math.random() * 1e9;
  const bodies: Buffer[] = [];
  let rawBytes = 0;
  for (let s = 0; s < spec.samples; s++) {
    const t = spec.startMs + s * spec.intervalMs;
    for (let from = 0; from < spec.series; from += spec.seriesPerRequest) {
      const timeseries: TimeSeriesV1[] = [];
      for (let i = from; i < Math.min(spec.series, from + spec.seriesPerRequest); i++) {
        const c = series[i]!;
        // Counters grow by irregular amounts; gauges wander around their level.
        values[i] = c.counter
          ? values[i]! + Math.floor(Math.random() * 1000)
          : values[i]! * (1 + (Math.random() - 0.5) * 0.01);
        timeseries.push({
          labels: c.labels,
          samples: [{ value: values[i]!, timestamp: t }],
          exemplars: [],
          histogramCount: 0,
        });
      }
      const raw = encodeWriteRequestV1({ timeseries, metadata: [] });
      rawBytes += raw.length;
      bodies.push(Buffer.from(snappyCompress(raw)));
    }
  }
  return { bodies, totalSamples: spec.series * spec.samples, rawBytes };
}
