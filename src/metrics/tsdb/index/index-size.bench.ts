import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Labels } from "../../../model/labels.js";
import { Matcher } from "../../../model/matcher.js";
import { type ChunkMeta, IndexReader, IndexWriter } from "./index.js";

/** One series of the workload. */
interface BenchSeries {
  labels: Labels;
  chunks: ChunkMeta[];
}

const MODES = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"];
const MOUNTS: [string, string, string][] = [
  ["/", "/dev/nvme0n1p2", "ext4"],
  ["/boot", "/dev/nvme0n1p1", "vfat"],
  ["/run", "tmpfs", "tmpfs"],
  ["/var/lib/containerd", "/dev/mapper/vg-containerd", "xfs"],
  ["/var/lib/kubelet", "/dev/mapper/vg-kubelet", "xfs"],
  ["/data", "/dev/sdb1", "ext4"],
];
const FS = ["avail_bytes", "device_error", "files", "files_free", "free_bytes", "readonly", "size_bytes"];
const DISKS = ["nvme0n1", "sda", "sdb", "dm-0"];
const DISK = ["io_now", "io_time_seconds_total", "read_bytes_total", "reads_completed_total"]
  .concat(["read_time_seconds_total", "write_time_seconds_total", "writes_completed_total"])
  .concat(["written_bytes_total", "discards_completed_total", "flush_requests_total"]);
const NICS = ["eth0", "eth1", "lo", "cni0", "flannel.1"];
const NET = ["receive", "transmit"].flatMap((d) =>
  ["bytes", "packets", "errs", "drop", "fifo", "compressed", "multicast", "frame"].map(
    (m) => `${d}_${m}_total`,
  ),
);

/**
 * Label sets of a fleet of node-exporters, as one tenant's block holds them: per host about 900
 * series (cpu × mode, schedstat and softnet per cpu, memory, vmstat and netstat fields,
 * filesystems, disks, network interfaces, Go and process metrics), with `cluster`, `instance`,
 * `job` and the metrics' own labels.
 */
function nodeExporterLabels(count: number): Labels[] {
  const out: Labels[] = [];
  for (let host = 0; out.length < count; host++) {
    const base = {
      cluster: "prod-eu-1",
      instance: `10.${20 + (host >> 8)}.${host & 255}.${(host * 7) & 255}:9100`,
      job: "node-exporter",
    };
    const add = (name: string, extra: Record<string, string> = {}) =>
      out.push(Labels.fromRecord({ __name__: name, ...base, ...extra }));
    for (let cpu = 0; cpu < 16; cpu++) {
      for (const mode of MODES) add("node_cpu_seconds_total", { cpu: String(cpu), mode });
      for (const m of ["running_seconds_total", "timeslices_total", "waiting_seconds_total"])
        add(`node_schedstat_${m}`, { cpu: String(cpu) });
      for (const m of ["dropped_total", "processed_total", "times_squeezed_total"])
        add(`node_softnet_${m}`, { cpu: String(cpu) });
      add("node_cpu_guest_seconds_total", { cpu: String(cpu), mode: "nice" });
      add("node_cpu_guest_seconds_total", { cpu: String(cpu), mode: "user" });
    }
    for (let i = 0; i < 64; i++) add(`node_memory_${memName(i)}_bytes`);
    for (let i = 0; i < 110; i++) add(`node_vmstat_${memName(i).toLowerCase()}`);
    for (let i = 0; i < 90; i++)
      add(`node_netstat_${["Tcp", "Udp", "Ip", "Icmp", "TcpExt"][i % 5]}_${memName(i)}`);
    for (const [mountpoint, device, fstype] of MOUNTS)
      for (const m of FS) add(`node_filesystem_${m}`, { device, fstype, mountpoint });
    for (const device of DISKS) for (const m of DISK) add(`node_disk_${m}`, { device });
    for (const device of NICS) {
      for (const m of NET) add(`node_network_${m}`, { device });
      add("node_network_up", { device });
      add("node_network_mtu_bytes", { device });
    }
    for (let i = 0; i < 60; i++) add(`go_${memName(i).toLowerCase()}`);
    for (const q of ["0", "0.25", "0.5", "0.75", "1"]) add("go_gc_duration_seconds", { quantile: q });
    for (const m of [
      "cpu_seconds_total",
      "open_fds",
      "max_fds",
      "resident_memory_bytes",
      "start_time_seconds",
    ])
      add(`process_${m}`);
    for (const m of [
      "load1",
      "load5",
      "load15",
      "boot_time_seconds",
      "time_seconds",
      "entropy_available_bits",
    ])
      add(`node_${m}`);
    for (const c of ["cpu", "io", "memory"]) {
      add(`node_pressure_${c}_waiting_seconds_total`);
      if (c !== "cpu") add(`node_pressure_${c}_stalled_seconds_total`);
    }
    for (let i = 0; i < 12; i++)
      add("node_hwmon_temp_celsius", { chip: "platform_coretemp_0", sensor: `temp${i + 1}` });
    add("node_uname_info", { machine: "x86_64", nodename: `node-${host}`, release: "6.1.0-18-amd64" });
  }
  out.length = count;
  return out.sort(Labels.compare);
}

function memName(i: number): string {
  const words = [
    "Active",
    "Anon",
    "Buffers",
    "Cached",
    "Commit",
    "Dirty",
    "File",
    "Huge",
    "Inactive",
    "Kernel",
  ];
  return `${words[i % 10]}${["", "Pages", "Total", "Free", "Limit", "Stack", "Huge", "Writeback", "Mapped", "Shmem", "Slab"][Math.floor(i / 10)]}`;
}

/**
 * Chunk metas of a 2 h block at a 15 s interval: four chunks of 120 samples per series, each
 * target at its own phase, chunk records of 150–300 bytes written series by series into 128 MiB
 * segments, as a compactor lays them out.
 */
function withChunks(labels: Labels[]): BenchSeries[] {
  const blockStart = 1_767_225_600_000;
  let segment = 0;
  let offset = 8;
  return labels.map((l) => {
    const phase = hash(l.get("instance")) % 15_000;
    const chunks: ChunkMeta[] = [];
    for (let c = 0; c < 4; c++) {
      const size = 150 + (hash(`${l.key()}${c}`) % 150);
      if (offset + size > 128 * 2 ** 20) {
        segment++;
        offset = 8;
      }
      const minT = blockStart + phase + c * 120 * 15_000;
      chunks.push({ minT, maxT: minT + 119 * 15_000, ref: segment * 2 ** 32 + offset });
      offset += size;
    }
    return { labels: l, chunks };
  });
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const uvarintLen = (v: number): number => {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
};
const varintLen = (v: number): number => uvarintLen(v < 0 ? -2 * v - 1 : 2 * v);
const utf8Len = (s: string): number => Buffer.byteLength(s, "utf8");
const pad = (pos: number, to: number): number => (to - (pos % to)) % to;

/**
 * The size of the same series in Prometheus's index format version 2 (tsdb/docs/format/index.md),
 * section by section as its writer lays them out: symbols; series 16-byte aligned with a CRC each;
 * the label index sections and their offset table (still written, no longer read); postings lists
 * 4-byte aligned with an "all series" list; the postings offset table; the TOC.
 */
function prometheusIndexBytes(series: readonly BenchSeries[]): Record<string, number> {
  const symbolSet = new Set<string>();
  const pairs = new Map<string, Map<string, number>>();
  for (const s of series) {
    s.labels.forEach((n, v) => {
      symbolSet.add(n);
      symbolSet.add(v);
      let values = pairs.get(n);
      if (values === undefined) {
        values = new Map();
        pairs.set(n, values);
      }
      values.set(v, (values.get(v) ?? 0) + 1);
    });
  }
  const symbols = [...symbolSet].sort();
  const ref = new Map(symbols.map((s, i) => [s, i]));
  let pos = 5;
  const start = { symbols: pos } as Record<string, number>;
  pos += 8 + 4;
  for (const s of symbols) pos += uvarintLen(utf8Len(s)) + utf8Len(s);
  start.series = pos;
  for (const s of series) {
    pos += pad(pos, 16);
    let body = uvarintLen(s.labels.size);
    s.labels.forEach((n, v) => {
      body += uvarintLen(ref.get(n)!) + uvarintLen(ref.get(v)!);
    });
    body += uvarintLen(s.chunks.length);
    s.chunks.forEach((c, i) => {
      const p = s.chunks[i - 1];
      body +=
        p === undefined
          ? varintLen(c.minT) + uvarintLen(c.maxT - c.minT) + uvarintLen(c.ref)
          : uvarintLen(c.minT - p.maxT) + uvarintLen(c.maxT - c.minT) + varintLen(c.ref - p.ref);
    });
    pos += uvarintLen(body) + body + 4;
  }
  start.labelIndices = pos;
  const names = [...pairs.keys()].sort();
  for (const n of names) {
    pos += pad(pos, 4);
    pos += 12 + 4 * pairs.get(n)!.size + 4;
  }
  start.labelOffsetTable = pos;
  pos += 8 + 4;
  for (const n of names) pos += 1 + uvarintLen(utf8Len(n)) + utf8Len(n) + 8;
  start.postings = pos;
  const lists: [string, string, number][] = [["", "", series.length]];
  for (const n of names) for (const [v, c] of [...pairs.get(n)!].sort()) lists.push([n, v, c]);
  const offsets: number[] = [];
  for (const [, , count] of lists) {
    pos += pad(pos, 4);
    offsets.push(pos);
    pos += 8 + 4 * count + 4;
  }
  start.postingsOffsetTable = pos;
  pos += 8 + 4;
  lists.forEach(([n, v], i) => {
    pos +=
      1 + uvarintLen(utf8Len(n)) + utf8Len(n) + uvarintLen(utf8Len(v)) + utf8Len(v) + uvarintLen(offsets[i]!);
  });
  start.toc = pos;
  pos += 52;
  const out: Record<string, number> = {};
  const keys = Object.keys(start);
  keys.forEach((k, i) => {
    out[k] = (i + 1 < keys.length ? start[keys[i + 1]!]! : pos) - start[k]!;
  });
  out.total = pos;
  return out;
}

/** Median wall time of `fn` over `runs` runs after as many warm-up runs, µs. */
function timeUs(runs: number, fn: () => unknown): number {
  for (let i = 0; i < runs; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[times.length >> 1]! * 10) / 10;
}

const perSeries = (bytes: number, n: number): number => Math.round((bytes / n) * 100) / 100;

/**
 * `npm run bench -- index-size [--series N]`: writes the index of N (default 100 000)
 * node-exporter-like series with four chunks each (see {@link withChunks}), reads it back, and
 * reports bytes per series (total and per section) beside the same data in Prometheus's index
 * layout, plus open, matcher and series-decoding times.
 */
export async function run(argv: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({ args: argv, options: { series: { type: "string", default: "100000" } } });
  const n = Number(values.series);
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  log(`generating ${n} series…`);
  const series = withChunks(nodeExporterLabels(n));
  const dir = await mkdtemp(join(tmpdir(), "mirador-index-bench-"));
  try {
    const path = join(dir, "index");
    const t0 = performance.now();
    const w = await IndexWriter.create(path, { sync: "never" });
    for (const s of series) w.addSeries(s.labels, s.chunks);
    const stats = await w.finish();
    const writeMs = performance.now() - t0;
    log(`wrote ${stats.bytes} bytes in ${writeMs.toFixed(0)} ms`);

    const t1 = performance.now();
    const ix = await IndexReader.open(path);
    const openMs = performance.now() - t1;

    const queries: Record<string, Matcher[]> = {
      'node_cpu_seconds_total{instance="…",mode="idle"}': [
        new Matcher("=", "__name__", "node_cpu_seconds_total"),
        new Matcher("=", "instance", ix.labelValues("instance")[3]!),
        new Matcher("=", "mode", "idle"),
      ],
      'node_cpu_seconds_total{mode!="idle"}': [
        new Matcher("=", "__name__", "node_cpu_seconds_total"),
        new Matcher("!=", "mode", "idle"),
      ],
      'node_filesystem_avail_bytes{fstype!~"tmpfs|vfat"}': [
        new Matcher("=", "__name__", "node_filesystem_avail_bytes"),
        new Matcher("!~", "fstype", "tmpfs|vfat"),
      ],
      '{__name__=~"node_network_.*_bytes_total",device!="lo"}': [
        new Matcher("=~", "__name__", "node_network_.*_bytes_total"),
        new Matcher("!=", "device", "lo"),
      ],
      '{job="node-exporter"} (every series)': [new Matcher("=", "job", "node-exporter")],
    };
    const matchers: Record<string, { series: number; us: number }> = {};
    for (const [q, ms] of Object.entries(queries)) {
      matchers[q] = {
        series: ix.postingsForMatchers(ms).length,
        us: timeUs(50, () => ix.postingsForMatchers(ms)),
      };
    }
    const d = ix.seriesDecoder();
    const decodeUs = timeUs(5, () => {
      for (let id = 0; id < ix.seriesCount; id++) d.decode(id);
    });
    const decodeLabelsUs = timeUs(5, () => {
      for (let id = 0; id < ix.seriesCount; id++) {
        d.decode(id);
        void d.labels;
      }
    });
    const prom = prometheusIndexBytes(series);

    const sections: Record<string, number> = {};
    for (const [k, v] of Object.entries(stats.sectionBytes)) sections[k] = perSeries(v, n);
    const promSections: Record<string, number> = {};
    for (const [k, v] of Object.entries(prom)) promSections[k] = perSeries(v, n);
    return {
      series: n,
      symbols: stats.symbols,
      label_pairs: stats.labelPairs,
      index_bytes: stats.bytes,
      index_bytes_per_series: perSeries(stats.bytes, n),
      section_bytes_per_series: sections,
      prometheus_v2_bytes_per_series: perSeries(prom.total!, n),
      prometheus_v2_section_bytes_per_series: promSections,
      write_ms: Math.round(writeMs),
      open_ms: Math.round(openMs),
      decode_series_chunks_ns_per_series: Math.round((decodeUs * 1000) / n),
      decode_series_with_labels_ns_per_series: Math.round((decodeLabelsUs * 1000) / n),
      postings_for_matchers: matchers,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
