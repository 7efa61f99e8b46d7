import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Labels } from "../../model/labels.js";
import { isStaleNaN } from "../../model/stale.js";
import { decodeExportMetricsServiceRequestJson } from "./metrics-json.js";
import { wideRequest } from "./otlp-metrics.testlib.js";
import type { OtlpSamples, OtlpTranslationOptions } from "./to-prometheus.js";
import { MAX_TARGET_INFO_SAMPLES, otlpToSamples, translateOtlpMetrics } from "./to-prometheus.js";
import type {
  AnyValue,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  KeyValue,
  Metric,
  MetricData,
  NumberDataPoint,
  SummaryDataPoint,
} from "./types.js";
import { FLAG_NO_RECORDED_VALUE } from "./types.js";

// Builders of requests, with defaults for everything a case does not care about.

const T = 1_700_000_000_000;
const CUMULATIVE = 2;
const DELTA = 1;

const s = (value: string): AnyValue => ({ kind: "string", value });
const attrs = (rec: Record<string, string | AnyValue>): KeyValue[] =>
  Object.entries(rec).map(([key, v]) => ({ key, value: typeof v === "string" ? s(v) : v }));

const num = (value: number, p: Partial<NumberDataPoint> = {}): NumberDataPoint => ({
  attributes: [],
  startTimeMs: T - 60_000,
  timeMs: T,
  flags: 0,
  valueType: "double",
  value,
  ...p,
});

const hist = (p: Partial<HistogramDataPoint>): HistogramDataPoint => ({
  attributes: [],
  startTimeMs: 0,
  timeMs: T,
  flags: 0,
  count: 0,
  hasSum: false,
  sum: 0,
  bucketCounts: new Float64Array(0),
  explicitBounds: new Float64Array(0),
  hasMin: false,
  min: 0,
  hasMax: false,
  max: 0,
  ...p,
});

const summ = (p: Partial<SummaryDataPoint>): SummaryDataPoint => ({
  attributes: [],
  startTimeMs: 0,
  timeMs: T,
  flags: 0,
  count: 0,
  sum: 0,
  quantiles: new Float64Array(0),
  values: new Float64Array(0),
  ...p,
});

const metric = (name: string, unit: string, data: MetricData, description = ""): Metric => ({
  name,
  unit,
  description,
  data,
});
const gauge = (name: string, unit: string, ...dataPoints: NumberDataPoint[]) =>
  metric(name, unit, { type: "gauge", dataPoints });
const counter = (name: string, unit: string, ...dataPoints: NumberDataPoint[]) =>
  metric(name, unit, { type: "sum", aggregationTemporality: CUMULATIVE, isMonotonic: true, dataPoints });

interface ResourceSpec {
  resource?: Record<string, string | AnyValue>;
  scope?: { name: string; version: string; attributes?: KeyValue[]; schemaUrl?: string };
  metrics: Metric[];
}

const request = (...resources: ResourceSpec[]): ExportMetricsServiceRequest => ({
  resourceMetrics: resources.map((r) => ({
    resource: { attributes: attrs(r.resource ?? {}) },
    schemaUrl: "",
    scopeMetrics: [
      {
        scope: {
          name: r.scope?.name ?? "",
          version: r.scope?.version ?? "",
          attributes: r.scope?.attributes ?? [],
        },
        schemaUrl: r.scope?.schemaUrl ?? "",
        metrics: r.metrics,
      },
    ],
  })),
});

/** The samples as `series value @t` lines (the stale marker as `stale`), sorted, for readable tables. */
function lines(out: OtlpSamples): string[] {
  return out.samples
    .map(({ labels, t, v }) => `${labels.toString()} ${isStaleNaN(v) ? "stale" : v} @${t}`)
    .sort();
}

const run = (req: ExportMetricsServiceRequest, opts: OtlpTranslationOptions = {}) => otlpToSamples(req, opts);

describe("otlpToSamples: names", () => {
  it.each<[string, Metric, string]>([
    ["a gauge of unit s", gauge("http.server.active", "s", num(3)), "http_server_active_seconds"],
    ["a counter of unit By", counter("system.network.io", "By", num(10)), "system_network_io_bytes_total"],
    ["a gauge of unit 1", gauge("system.cpu.utilization", "1", num(0.5)), "system_cpu_utilization_ratio"],
    ["a counter of unit 1", counter("errors", "1", num(2)), "errors_total"],
    ["a counter already ending in _total", counter("requests_total", "", num(2)), "requests_total"],
    ["a counter of an annotation unit", counter("packets", "{packet}", num(2)), "packets_total"],
    [
      "a non-monotonic sum (a gauge)",
      metric("queue.size", "{item}", {
        type: "sum",
        aggregationTemporality: CUMULATIVE,
        isMonotonic: false,
        dataPoints: [num(4)],
      }),
      "queue_size",
    ],
    ["a rate unit", gauge("disk.io", "By/s", num(1)), "disk_io_bytes_per_second"],
  ])("%s", (_, m, want) => {
    const out = run(request({ metrics: [m] }));
    expect(out.problems).toEqual([]);
    expect(out.samples.map((x) => x.labels.get("__name__"))).toEqual([want]);
  });

  it("follows the translation strategy for metric and label names", () => {
    const m = counter("http.server.requests", "1", num(1, { attributes: attrs({ "http.method": "GET" }) }));
    const names = (strategy: OtlpTranslationOptions["translationStrategy"]) =>
      lines(run(request({ metrics: [m] }), strategy === undefined ? {} : { translationStrategy: strategy }));
    expect(names(undefined)).toEqual(['http_server_requests_total{http_method="GET"} 1 @1700000000000']);
    expect(names("UnderscoreEscapingWithoutSuffixes")).toEqual([
      'http_server_requests{http_method="GET"} 1 @1700000000000',
    ]);
    expect(names("NoUTF8EscapingWithSuffixes")).toEqual([
      'http.server.requests_total{http.method="GET"} 1 @1700000000000',
    ]);
    expect(names("NoTranslation")).toEqual(['http.server.requests{http.method="GET"} 1 @1700000000000']);
  });

  it("reports a metric whose name escapes to nothing, and keeps the others", () => {
    const out = run(request({ metrics: [gauge("@@@", "", num(1)), gauge("ok", "", num(2))] }));
    expect(lines(out)).toEqual(["ok 2 @1700000000000"]);
    expect(out.problems).toEqual([
      'metric "@@@": the name translates to an empty or all-underscore metric name; dropped',
    ]);
  });
});

describe("otlpToSamples: labels", () => {
  it("escapes attribute names and joins colliding ones with ; in key order", () => {
    const p = num(1, {
      attributes: attrs({
        "http.request.method": "GET",
        "k8s.pod.uid": "p1",
        "a-b": "second",
        "a.b": "first",
        "0day": "yes",
        count: { kind: "int", value: 3n },
        ratio: { kind: "double", value: 0.25 },
        ok: { kind: "bool", value: true },
        empty: { kind: "empty" },
        __name__: "ignored",
      }),
    });
    const out = run(request({ metrics: [gauge("g", "", p)] }));
    expect(out.samples[0]?.labels.toRecord()).toEqual({
      __name__: "g",
      a_b: "second;first", // "a-b" sorts before "a.b"
      count: "3",
      http_request_method: "GET",
      k8s_pod_uid: "p1",
      key_0day: "yes",
      ok: "true",
      ratio: "0.25",
    });
  });

  it("drops a data point whose attribute has no usable name, and says so once per metric", () => {
    const bad = num(1, { attributes: attrs({ "...": "x" }) });
    const out = run(request({ metrics: [gauge("g", "", bad, num(2), bad)] }));
    expect(lines(out)).toEqual(["g 2 @1700000000000"]);
    expect(out.problems).toEqual([
      'metric "g": 2 data points dropped: attribute "..." is not a usable label name',
    ]);
  });

  it("makes job from service.namespace/service.name and instance from service.instance.id", () => {
    const resource = { "service.namespace": "shop", "service.name": "cart", "service.instance.id": "pod-1" };
    const p = num(1, { attributes: attrs({ job: "overridden", instance: "overridden" }) });
    const out = run(request({ resource, metrics: [gauge("g", "", p)] }));
    expect(lines(out)).toEqual(['g{instance="pod-1", job="shop/cart"} 1 @1700000000000']);
  });

  it("makes job from service.name alone when there is no namespace", () => {
    const out = run(request({ resource: { "service.name": "cart" }, metrics: [gauge("g", "", num(1))] }));
    expect(lines(out)).toEqual(['g{job="cart"} 1 @1700000000000']);
  });

  it("promotes the resource attributes asked for, without overriding data point attributes", () => {
    const resource = {
      "service.name": "cart",
      "k8s.namespace.name": "prod",
      "cloud.region": "eu",
      zone: "r",
    };
    const p = num(1, { attributes: attrs({ zone: "p" }) });
    const req = request({ resource, metrics: [gauge("g", "", p)] });
    const pick = run(req, { promoteResourceAttributes: ["k8s.namespace.name", "zone", "absent"] });
    expect(pick.samples[0]?.labels.toRecord()).toEqual({
      __name__: "g",
      job: "cart",
      k8s_namespace_name: "prod",
      zone: "p",
    });
    const all = run(req, { promoteAllResourceAttributes: true, ignoreResourceAttributes: ["cloud.region"] });
    expect(all.samples[0]?.labels.toRecord()).toEqual({
      __name__: "g",
      job: "cart",
      k8s_namespace_name: "prod",
      service_name: "cart",
      zone: "p",
    });
  });

  it("adds scope labels only when asked, and only for named scopes", () => {
    const scope = {
      name: "io.lib",
      version: "1.2.3",
      attributes: attrs({ "lib.flavour": "x" }),
      schemaUrl: "u",
    };
    const req = request({ scope, metrics: [gauge("g", "", num(1))] });
    expect(lines(run(req))).toEqual(["g 1 @1700000000000"]);
    expect(run(req, { promoteScopeMetadata: true }).samples[0]?.labels.toRecord()).toEqual({
      __name__: "g",
      otel_scope_lib_flavour: "x",
      otel_scope_name: "io.lib",
      otel_scope_schema_url: "u",
      otel_scope_version: "1.2.3",
    });
    const unnamed = request({ scope: { name: "", version: "9" }, metrics: [gauge("g", "", num(1))] });
    expect(lines(run(unnamed, { promoteScopeMetadata: true }))).toEqual(["g 1 @1700000000000"]);
  });
});

describe("otlpToSamples: values", () => {
  it("turns a histogram into _sum, _count and cumulative _bucket series ending at +Inf", () => {
    const p = hist({
      attributes: attrs({ route: "/a" }),
      count: 10,
      hasSum: true,
      sum: 4.5,
      explicitBounds: new Float64Array([0.005, 0.1, 1]),
      bucketCounts: new Float64Array([2, 3, 4, 1]),
    });
    const out = run(
      request({
        metrics: [
          metric("http.latency", "s", {
            type: "histogram",
            aggregationTemporality: CUMULATIVE,
            dataPoints: [p],
          }),
        ],
      }),
    );
    expect(out.problems).toEqual([]);
    expect(lines(out)).toEqual([
      'http_latency_seconds_bucket{le="+Inf", route="/a"} 10 @1700000000000',
      'http_latency_seconds_bucket{le="0.005", route="/a"} 2 @1700000000000',
      'http_latency_seconds_bucket{le="0.1", route="/a"} 5 @1700000000000',
      'http_latency_seconds_bucket{le="1", route="/a"} 9 @1700000000000',
      'http_latency_seconds_count{route="/a"} 10 @1700000000000',
      'http_latency_seconds_sum{route="/a"} 4.5 @1700000000000',
    ]);
    expect(out.metadata).toEqual([
      { name: "http_latency_seconds", type: "histogram", help: "", unit: "seconds" },
    ]);
  });

  it("leaves out _sum when the histogram has none", () => {
    const p = hist({
      count: 1,
      explicitBounds: new Float64Array([1]),
      bucketCounts: new Float64Array([1, 0]),
    });
    const m = metric("h", "", { type: "histogram", aggregationTemporality: CUMULATIVE, dataPoints: [p] });
    expect(lines(run(request({ metrics: [m] })))).toEqual([
      'h_bucket{le="+Inf"} 1 @1700000000000',
      'h_bucket{le="1"} 1 @1700000000000',
      "h_count 1 @1700000000000",
    ]);
  });

  it("turns a summary into quantile, _sum and _count series", () => {
    const p = summ({
      count: 7,
      sum: 12.5,
      quantiles: new Float64Array([0, 0.5, 0.99, 1]),
      values: new Float64Array([0.1, 1, 3, 4]),
    });
    const out = run(
      request({ metrics: [metric("rpc.duration", "ms", { type: "summary", dataPoints: [p] })] }),
    );
    expect(lines(out)).toEqual([
      "rpc_duration_milliseconds_count 7 @1700000000000",
      "rpc_duration_milliseconds_sum 12.5 @1700000000000",
      'rpc_duration_milliseconds{quantile="0"} 0.1 @1700000000000',
      'rpc_duration_milliseconds{quantile="0.5"} 1 @1700000000000',
      'rpc_duration_milliseconds{quantile="0.99"} 3 @1700000000000',
      'rpc_duration_milliseconds{quantile="1"} 4 @1700000000000',
    ]);
    expect(out.metadata).toEqual([
      { name: "rpc_duration_milliseconds", type: "summary", help: "", unit: "milliseconds" },
    ]);
  });

  it("turns the NoRecordedValue flag into the stale marker on every series of the point", () => {
    const stale = { flags: FLAG_NO_RECORDED_VALUE };
    const out = run(
      request({
        metrics: [
          gauge("g", "", num(5, stale)),
          counter("c", "", num(5, stale)),
          metric("h", "", {
            type: "histogram",
            aggregationTemporality: CUMULATIVE,
            dataPoints: [
              hist({
                ...stale,
                count: 3,
                hasSum: true,
                sum: 1,
                explicitBounds: new Float64Array([1]),
                bucketCounts: new Float64Array([1, 2]),
              }),
            ],
          }),
          metric("s", "", {
            type: "summary",
            dataPoints: [
              summ({ ...stale, quantiles: new Float64Array([0.5]), values: new Float64Array([1]) }),
            ],
          }),
        ],
      }),
    );
    expect(out.samples).toHaveLength(2 + 4 + 3);
    for (const x of out.samples) expect(isStaleNaN(x.v), x.labels.toString()).toBe(true);
  });

  it("reads int values, and a point with no value as 0", () => {
    const out = run(
      request({
        metrics: [
          gauge("g", "", num(-7, { valueType: "int" }), num(0, { valueType: "none", timeMs: T + 1 })),
        ],
      }),
    );
    expect(lines(out)).toEqual(["g -7 @1700000000000", "g 0 @1700000000001"]);
  });

  it("keeps help and the Prometheus unit in the metadata, once per family", () => {
    const out = run(
      request(
        { metrics: [metric("mem", "By", { type: "gauge", dataPoints: [num(1)] }, "Memory in use")] },
        { metrics: [gauge("mem", "By", num(2))] },
      ),
    );
    expect(out.metadata).toEqual([
      { name: "mem_bytes", type: "gauge", help: "Memory in use", unit: "bytes" },
    ]);
  });
});

describe("otlpToSamples: target_info", () => {
  const resource = {
    "service.name": "cart",
    "service.namespace": "shop",
    "service.instance.id": "pod-1",
    "host.name": "node-7",
    "k8s.pod.name": "cart-abc",
  };

  it("carries the other resource attributes, with job and instance, at the data point time", () => {
    const out = run(request({ resource, metrics: [gauge("g", "", num(1))] }));
    expect(lines(out)).toEqual([
      'g{instance="pod-1", job="shop/cart"} 1 @1700000000000',
      'target_info{host_name="node-7", instance="pod-1", job="shop/cart", k8s_pod_name="cart-abc"} 1 @1700000000000',
    ]);
    expect(out.metadata).toContainEqual({
      name: "target_info",
      type: "gauge",
      help: "Target metadata",
      unit: "",
    });
  });

  it("is sampled every half lookback delta from the earliest to the latest data point", () => {
    const points = [num(1, { timeMs: T }), num(2, { timeMs: T + 400_000 })];
    const out = run(request({ resource, metrics: [gauge("g", "", ...points)] }));
    const times = out.samples.filter((x) => x.labels.get("__name__") === "target_info").map((x) => x.t);
    expect(times).toEqual([T, T + 150_000, T + 300_000, T + 400_000]);
    const custom = run(request({ resource, metrics: [gauge("g", "", ...points)] }), {
      lookbackDeltaMs: 600_000,
    });
    expect(custom.samples.filter((x) => x.labels.get("__name__") === "target_info").map((x) => x.t)).toEqual([
      T,
      T + 300_000,
      T + 400_000,
    ]);
  });

  it("is written once per series and time across resources of one request", () => {
    const a = { resource, metrics: [gauge("a", "", num(1))] };
    const b = { resource, metrics: [gauge("b", "", num(1))] };
    const out = run(request(a, b));
    expect(out.samples.filter((x) => x.labels.get("__name__") === "target_info")).toHaveLength(1);
  });

  it("is left out when the resource has only service attributes, or nothing to identify it", () => {
    const identifying = { "service.name": "cart", "service.instance.id": "pod-1" };
    expect(lines(run(request({ resource: identifying, metrics: [gauge("g", "", num(1))] })))).toEqual([
      'g{instance="pod-1", job="cart"} 1 @1700000000000',
    ]);
    expect(
      lines(run(request({ resource: { "host.name": "n" }, metrics: [gauge("g", "", num(1))] }))),
    ).toEqual(["g 1 @1700000000000"]);
  });

  it("keeps the service attributes too when asked, and can be turned off", () => {
    const req = request({ resource, metrics: [gauge("g", "", num(1))] });
    const kept = run(req, { keepIdentifyingResourceAttributes: true }).samples.find(
      (x) => x.labels.get("__name__") === "target_info",
    );
    expect(kept?.labels.toRecord()).toMatchObject({
      service_name: "cart",
      service_namespace: "shop",
      service_instance_id: "pod-1",
    });
    expect(lines(run(req, { disableTargetInfo: true }))).toEqual([
      'g{instance="pod-1", job="shop/cart"} 1 @1700000000000',
    ]);
  });

  it(`is written once when the data points span more than ${MAX_TARGET_INFO_SAMPLES} samples`, () => {
    const req = request({
      resource,
      metrics: [gauge("g", "", num(1, { timeMs: 1 }), num(2, { timeMs: T }))],
    });
    const out = run(req);
    expect(out.samples.filter((x) => x.labels.get("__name__") === "target_info").map((x) => x.t)).toEqual([
      T,
    ]);
    expect(out.problems[0]).toMatch(/^target_info: the resource's data points span/);
  });
});

describe("otlpToSamples: what is refused", () => {
  it.each<[string, Metric, RegExp]>([
    [
      "a delta sum",
      metric("c", "", {
        type: "sum",
        aggregationTemporality: DELTA,
        isMonotonic: true,
        dataPoints: [num(1)],
      }),
      /^metric "c": aggregation temporality delta is not supported, only cumulative; 1 data points dropped \(set the exporter's temporality preference to cumulative/,
    ],
    [
      "a delta histogram",
      metric("h", "", { type: "histogram", aggregationTemporality: DELTA, dataPoints: [hist({}), hist({})] }),
      /^metric "h": aggregation temporality delta is not supported, only cumulative; 2 data points dropped/,
    ],
    [
      "a sum of unspecified temporality",
      metric("u", "", { type: "sum", aggregationTemporality: 0, isMonotonic: false, dataPoints: [num(1)] }),
      /^metric "u": aggregation temporality unspecified \(0\) is not supported/,
    ],
    [
      "an exponential histogram",
      metric("e", "s", { type: "exponentialHistogram", aggregationTemporality: CUMULATIVE, dataPoints: [] }),
      /^metric "e": exponential histograms are not supported; 0 data points dropped/,
    ],
    ["a metric without data", metric("n", "", { type: "none" }), /^metric "n": no data/],
    ["a metric without data points", gauge("z", ""), /^metric "z": no data points; dropped$/],
  ])("reports %s and writes nothing for it", (_, m, problem) => {
    const out = run(request({ metrics: [m, gauge("kept", "", num(1))] }));
    expect(lines(out)).toEqual(["kept 1 @1700000000000"]);
    expect(out.problems).toHaveLength(1);
    expect(out.problems[0]).toMatch(problem);
    expect(out.metadata.map((md) => md.name)).toEqual(["kept"]);
  });

  it("reports a resource attribute that cannot be promoted and drops the resource", () => {
    const req = request({ resource: { "...": "x", "service.name": "a" }, metrics: [gauge("g", "", num(1))] });
    const out = run(req, { promoteAllResourceAttributes: true });
    expect(out.samples).toEqual([]);
    expect(out.problems).toEqual([
      'resource attribute "..." cannot be promoted: it is not a usable label name; the resource\'s metrics were dropped (change the promoted resource attributes or the attribute)',
    ]);
  });
});

describe("translateOtlpMetrics", () => {
  it("hands samples to the sink without collecting them, and counts them", () => {
    const req = decodeExportMetricsServiceRequestJson(`{"resourceMetrics":[{
      "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
      "scopeMetrics":[{"metrics":[
        {"name":"up","gauge":{"dataPoints":[{"asInt":"1","timeUnixNano":"1700000000000999999"}]}}
      ]}]}]}`);
    const seen: string[] = [];
    const report = translateOtlpMetrics(req, (labels, t, v) => seen.push(`${labels.toString()} ${v} @${t}`));
    expect(seen).toEqual(['up{job="svc"} 1 @1700000000000']);
    expect(report).toEqual({
      metadata: [{ name: "up", type: "gauge", help: "", unit: "" }],
      problems: [],
      samples: 1,
    });
  });

  it("never throws, and hands over only well-formed label sets, whatever the request holds", () => {
    const strategies = fc.constantFrom(
      "UnderscoreEscapingWithSuffixes",
      "UnderscoreEscapingWithoutSuffixes",
      "NoUTF8EscapingWithSuffixes",
      "NoTranslation",
    ) as fc.Arbitrary<NonNullable<OtlpTranslationOptions["translationStrategy"]>>;
    fc.assert(
      fc.property(wideRequest, strategies, fc.boolean(), (req, translationStrategy, promoteScopeMetadata) => {
        const opts = { translationStrategy, promoteScopeMetadata, promoteAllResourceAttributes: true };
        let count = 0;
        const report = translateOtlpMetrics(
          req,
          (labels, t, v) => {
            count++;
            // What fromSortedPairsUnsafe was promised: sorted, unique names, no empty values, a name.
            expect(Labels.fromPairs([...labels.pairs]).pairs).toEqual(labels.pairs);
            expect(labels.get("__name__")).not.toBe("");
            labels.forEach((name) => {
              expect(name).not.toBe("");
            });
            expect(Number.isFinite(t)).toBe(true);
            expect(typeof v).toBe("number");
          },
          opts,
        );
        expect(report.samples).toBe(count);
      }),
      { numRuns: 300 },
    );
  });
});
