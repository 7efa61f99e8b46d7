import type { SeriesSource, WorkloadSeries } from "./node-workload.js";

/**
 * The series of the PromQL benchmark: node-exporter-like hosts of exactly {@link SERIES_PER_HOST}
 * series each, shaped so that every benchmark query has the selection it is named for. Per host:
 *
 * - `node_cpu_seconds_total{cpu, mode}`: 100 counters (10K series for 100 hosts: `sum(rate(m[5m]))`);
 * - 300 more `node_*_total` counters (`node_interrupts_total{cpu, type}`, `node_softnet_total{cpu,
 *   stat}`), so that `{__name__=~"node_.*_total"}` selects 400 per host (40K), whose label sets stay
 *   distinct once `rate` drops the metric name (else both systems refuse the query);
 * - `node_hwmon_temp_celsius{chip, sensor}`: 100 gauges (10K, for `count(gauge)`);
 * - `node_load1`: 1 gauge (one series with its `instance`, for `max_over_time`);
 * - `http_request_duration_seconds_bucket{le}`: a classic histogram of 10 buckets (1,000 bucket
 *   series for 100 hosts), cumulative and monotonic in `le` and time, with its `_sum` and `_count`;
 * - 487 `node_memory_*_bytes` gauges to fill the host up.
 *
 * Every series carries `cluster` (10 hosts per cluster), `instance` and `job`.
 */
export const SERIES_PER_HOST = 1000;

/** Upper bounds of the histogram's buckets; the share of observations at or below each. */
const BUCKETS: readonly (readonly [string, number])[] = [
  ["0.005", 0.02],
  ["0.01", 0.05],
  ["0.025", 0.12],
  ["0.05", 0.25],
  ["0.1", 0.45],
  ["0.25", 0.7],
  ["0.5", 0.85],
  ["1", 0.93],
  ["2.5", 0.98],
  ["+Inf", 1],
];
const MODES = ["user", "system", "idle", "iowait"];
const SOFTNET = ["processed", "dropped", "times_squeezed", "received_rps"];
enum Kind {
  Gauge = 0,
  Counter = 1,
  Bucket = 2,
  Count = 3,
  Sum = 4,
}

/** The `instance` label of host `host`. */
export function instanceOf(host: number): string {
  return `10.${(host >> 16) & 255}.${(host >> 8) & 255}.${host & 255}:9100`;
}

/**
 * The series source of {@link buildWorkload} for `series` series (a multiple of
 * {@link SERIES_PER_HOST}): the label sets above, counters growing by random amounts, gauges
 * wandering, and histogram buckets that stay cumulative.
 */
export function promqlSeriesSource(series: number): SeriesSource {
  if (series % SERIES_PER_HOST !== 0)
    throw new Error(`the promql workload needs a multiple of ${SERIES_PER_HOST} series, got ${series}`);
  const kind = new Uint8Array(series);
  const bucket = new Uint8Array(series);
  const hostOf = new Uint32Array(series);
  // Histograms that have run for a while: a counter starting near 0 is extrapolated towards its
  // zero point, which Prometheus 2.42 and 3 do differently over the first windows of a series
  // (2.42 compares the zero point with the distance to the window's start before capping that at
  // half an interval, 3 after), so the two would disagree there.
  const observations = new Float64Array(series / SERIES_PER_HOST).map(
    () => 1e6 + Math.floor(Math.random() * 1e6),
  );
  let next = 0;
  function* generate(): Generator<WorkloadSeries> {
    for (let host = 0; ; host++) {
      const base = [
        { name: "cluster", value: `cluster-${Math.floor(host / 10)}` },
        { name: "instance", value: instanceOf(host) },
        { name: "job", value: "node" },
      ];
      const make = (name: string, extra: Record<string, string>, k: Kind, le = 0): WorkloadSeries => {
        if (next < series) {
          kind[next] = k;
          bucket[next] = le;
          hostOf[next] = host;
        }
        next++;
        return {
          labels: [
            { name: "__name__", value: name },
            ...base,
            ...Object.entries(extra).map(([n, v]) => ({ name: n, value: v })),
          ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
          counter: k !== Kind.Gauge,
        };
      };
      for (let cpu = 0; cpu < 25; cpu++)
        for (const mode of MODES)
          yield make("node_cpu_seconds_total", { cpu: String(cpu), mode }, Kind.Counter);
      for (let cpu = 0; cpu < 25; cpu++)
        for (const stat of SOFTNET)
          yield make("node_softnet_total", { cpu: String(cpu), stat }, Kind.Counter);
      for (let cpu = 0; cpu < 25; cpu++)
        for (let t = 0; t < 8; t++)
          yield make("node_interrupts_total", { cpu: String(cpu), type: `irq${t}` }, Kind.Counter);
      for (let chip = 0; chip < 10; chip++)
        for (let sensor = 0; sensor < 10; sensor++)
          yield make(
            "node_hwmon_temp_celsius",
            { chip: `platform_coretemp_${chip}`, sensor: `temp${sensor}` },
            Kind.Gauge,
          );
      yield make("node_load1", {}, Kind.Gauge);
      for (let b = 0; b < BUCKETS.length; b++)
        yield make("http_request_duration_seconds_bucket", { le: BUCKETS[b]![0] }, Kind.Bucket, b);
      yield make("http_request_duration_seconds_count", {}, Kind.Count);
      yield make("http_request_duration_seconds_sum", {}, Kind.Sum);
      for (let i = 0; i < 487; i++) yield make(`node_memory_Field${i}_bytes`, {}, Kind.Gauge);
    }
  }
  return {
    series: generate(),
    advance: (from, to, values, scrape) => {
      for (let i = from; i < to; i++) {
        switch (kind[i]) {
          case Kind.Counter:
            // Far from 0 from the start, for the reason the histograms are.
            if (scrape === 0) values[i] = 1e6 + Math.floor(Math.random() * 1e6);
            values[i] = values[i]! + Math.floor(Math.random() * 1000);
            break;
          case Kind.Gauge:
            values[i] = values[i]! * (1 + (Math.random() - 0.5) * 0.01);
            break;
          case Kind.Bucket: {
            const host = hostOf[i]!;
            // The first bucket of a host's histogram moves it to this scrape.
            if (bucket[i] === 0)
              observations[host] = observations[host]! + 50 + Math.floor(Math.random() * 500);
            values[i] = Math.floor(observations[host]! * BUCKETS[bucket[i]!]![1]);
            break;
          }
          case Kind.Count:
            values[i] = observations[hostOf[i]!]!;
            break;
          case Kind.Sum:
            values[i] = observations[hostOf[i]!]! * 0.137;
            break;
        }
      }
    },
  };
}
