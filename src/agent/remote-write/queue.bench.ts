import { Labels } from "../../model/labels.js";
import { snappyCompress } from "../../wire/snappy.js";
import type { SampleBatch } from "../sample-batch.js";
import { type ReadBatch, splitRecord } from "./parts.js";
import { decodeRecord, RecordEncoder } from "./record-codec.js";
import { RequestEncoder, type Slice } from "./request-encoder.js";

/**
 * `npm run bench -- queue [scrapes] [series] [targets]`: the metrics side's disk-queue records
 * (docs/format/agent-queue-records.md) on node-exporter-like scrapes (default 200 scrapes of 1,000
 * series: CPU counters per cpu and mode, filesystem and network gauges, memory integers, 0/1 flags,
 * a few stale markers, one timestamp per scrape).
 *
 * - `record.bytes_per_sample`: record size over samples (snappy included).
 * - `encode` / `decode` / `split`: samples per CPU-second through `RecordEncoder.encode`,
 *   `decodeRecord` and `splitRecord` (4 shards).
 * - `request.v1|v2`: samples per CPU-second from decoded records to snappy-compressed remote-write
 *   bodies of 2,000 samples, and their bytes per sample; `.encode` is the body before snappy alone.
 * - `e2e.v1|v2`: the whole path the agent runs per sample — batch → record → decoded record → parts
 *   (4 shards) → compressed request — on a fleet of `targets` targets (default 200) of 500 series
 *   each, every target's `Labels` objects the same scrape after scrape, as the scrape cache keeps
 *   them: samples per CPU-second, and CPU-µs per sample.
 *
 * Each figure is the median of 5 runs. Figures vary with the machine; no test asserts them.
 */
export async function run(args: string[] = []): Promise<Record<string, number>> {
  const scrapes = Number(args[0] ?? 200);
  const series = Number(args[1] ?? 1000);
  const targets = Number(args[2] ?? 200);
  const batches = nodeExporterScrapes(scrapes, series, 0);
  const samples = scrapes * series;
  const out: Record<string, number> = {};
  const enc = new RecordEncoder();
  // Warm up.
  for (const b of batches.slice(0, 20)) decodeRecord(enc.encode(b));

  let bytes = 0;
  const records: Uint8Array[] = [];
  for (const b of batches) {
    const r = enc.encode(b);
    records.push(r);
    bytes += r.length;
  }
  out["record.bytes_per_sample"] = Math.round((bytes / samples) * 100) / 100;
  out["encode.samples_per_cpu_s"] = rate(samples, () => {
    for (const b of batches) enc.encode(b);
  });
  const decoded = records.map((r) => decodeRecord(r));
  out["decode.samples_per_cpu_s"] = rate(samples, () => {
    for (const r of records) decodeRecord(r);
  });
  const batch: ReadBatch = { token: 0, records: 0, open: 0 };
  out["split.samples_per_cpu_s"] = rate(samples, () => {
    for (const d of decoded) splitRecord(d, batch, 4);
  });

  const req = new RequestEncoder();
  const parts = decoded.map((d) => splitRecord(d, batch, 1)[0]!);
  for (const version of ["1.0", "2.0"] as const) {
    const key = version === "1.0" ? "v1" : "v2";
    const requests = (compress: boolean): number => {
      let reqBytes = 0;
      let slices: Slice[] = [];
      let n = 0;
      const flush = () => {
        const body = req.encode(version, slices);
        reqBytes += compress ? snappyCompress(body).length : body.length;
        slices = [];
        n = 0;
      };
      for (const part of parts) {
        for (let from = 0; from < part.order.length; ) {
          const take = Math.min(2000 - n, part.order.length - from);
          slices.push({ rec: part.rec, order: part.order, from, to: from + take });
          from += take;
          n += take;
          if (n === 2000) flush();
        }
      }
      if (n > 0) flush();
      return reqBytes;
    };
    out[`request.${key}.bytes_per_sample`] = Math.round((requests(true) / samples) * 100) / 100;
    out[`request.${key}.encode.samples_per_cpu_s`] = rate(samples, () => requests(false));
    out[`request.${key}.samples_per_cpu_s`] = rate(samples, () => requests(true));
  }

  // End to end on a fleet: every target's series recur scrape after scrape.
  const fleet: SampleBatch[][] = [];
  for (let k = 0; k < targets; k++) fleet.push(nodeExporterScrapes(4, 500, k));
  const fleetSamples = targets * 4 * 500;
  for (const version of ["1.0", "2.0"] as const) {
    const key = version === "1.0" ? "v1" : "v2";
    const shards = 4;
    const e2e = new RecordEncoder();
    const reqs = new RequestEncoder();
    const pass = () => {
      const lanes: Slice[][] = Array.from({ length: shards }, () => []);
      const fill = new Array<number>(shards).fill(0);
      for (let s = 0; s < 4; s++) {
        for (let k = 0; k < targets; k++) {
          const d = decodeRecord(e2e.encode(fleet[k]![s]!));
          const ps = splitRecord(d, batch, shards);
          for (let l = 0; l < shards; l++) {
            const p = ps[l];
            if (p === undefined) continue;
            for (let from = 0; from < p.order.length; ) {
              const take = Math.min(2000 - fill[l]!, p.order.length - from);
              lanes[l]!.push({ rec: d, order: p.order, from, to: from + take });
              from += take;
              fill[l]! += take;
              if (fill[l] === 2000) {
                snappyCompress(reqs.encode(version, lanes[l]!));
                lanes[l] = [];
                fill[l] = 0;
              }
            }
          }
        }
      }
      for (let l = 0; l < shards; l++) if (fill[l]! > 0) snappyCompress(reqs.encode(version, lanes[l]!));
    };
    pass();
    const r = rate(fleetSamples, pass);
    out[`e2e.${key}.samples_per_cpu_s`] = r;
    out[`e2e.${key}.cpu_us_per_sample`] = Math.round((1e6 / r) * 1000) / 1000;
  }
  process.stderr.write(
    `${scrapes} scrapes of ${series} series; fleet of ${targets} × 500: ${JSON.stringify(out)}\n`,
  );
  return out;
}

/** Samples per CPU-second of `fn` (which handles `n` samples): the median of 5 runs. */
function rate(n: number, fn: () => void): number {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.cpuUsage();
    fn();
    runs.push(n / (cpuUs(t0) / 1e6));
  }
  runs.sort((a, b) => a - b);
  return Math.round(runs[2]!);
}

function cpuUs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return d.user + d.system;
}

/** Scrapes of target number `target` shaped like node-exporter's: families of series, realistic values, 15 s apart. */
function nodeExporterScrapes(scrapes: number, series: number, target: number): SampleBatch[] {
  const source = {};
  const labels: Labels[] = [];
  const kind: number[] = [];
  const base = {
    cluster: "edge-1",
    instance: `ip-10-0-${3 + (target >> 8)}-${(17 + target) & 255}.eu-west-1.compute.internal:9100`,
    job: "node",
  };
  const modes = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"];
  for (let i = 0; labels.length < series; i++) {
    const f = i % 10;
    if (f < 4) {
      labels.push(
        Labels.fromRecord({
          ...base,
          __name__: "node_cpu_seconds_total",
          cpu: String(i % 32),
          mode: modes[i % 8]!,
        }),
      );
    } else if (f < 6) {
      labels.push(
        Labels.fromRecord({
          ...base,
          __name__: f === 4 ? "node_network_receive_bytes_total" : "node_network_transmit_bytes_total",
          device: `eth${i % 4}`,
        }),
      );
    } else if (f < 8) {
      labels.push(
        Labels.fromRecord({
          ...base,
          __name__: f === 6 ? "node_filesystem_avail_bytes" : "node_filesystem_size_bytes",
          device: `/dev/nvme0n1p${i % 6}`,
          fstype: "ext4",
          mountpoint: `/var/lib/m${i % 50}`,
        }),
      );
    } else if (f === 8) {
      labels.push(Labels.fromRecord({ ...base, __name__: `node_memory_M${i % 60}_bytes` }));
    } else {
      labels.push(
        Labels.fromRecord({
          ...base,
          __name__: "node_systemd_unit_state",
          name: `u${i}.service`,
          state: "active",
        }),
      );
    }
    kind.push(f);
  }
  const cur = new Float64Array(series).map((_, i) =>
    kind[i]! < 4 ? 1e5 + i * 37.13 : kind[i]! < 6 ? 1e9 + i * 977 : 0,
  );
  const out: SampleBatch[] = [];
  const t0 = 1_700_000_000_000;
  for (let s = 0; s < scrapes; s++) {
    const timestamps = new Float64Array(series).fill(t0 + s * 15_000);
    const values = new Float64Array(series);
    const bits = new BigUint64Array(values.buffer);
    for (let i = 0; i < series; i++) {
      const k = kind[i]!;
      if (k < 4) cur[i]! += Math.round(Math.random() * 1500) / 100;
      else if (k < 6) cur[i]! += Math.floor(Math.random() * 1e6);
      else if (k < 8) cur[i] = k === 7 ? 107374182400 : 53687091200 - Math.floor(Math.random() * 1e6) * 4096;
      else if (k === 8) cur[i] = 4096 * Math.floor(Math.random() * 4e6);
      else cur[i] = Math.random() < 0.98 ? 1 : 0;
      values[i] = cur[i]!;
      if (s > 0 && i % 500 === 7 && s % 20 === 0) bits[i] = 0x7ff0000000000002n;
    }
    // One source per target, as one scrape loop is: its label sets recur in the same order.
    out.push({ length: series, labels, timestamps, values, source });
  }
  return out;
}
