/**
 * OTLP metrics as Prometheus samples, the way Prometheus's OTLP receiver (`storage/remote/otlptranslator`)
 * translates them with its default settings, following the OpenTelemetry "Prometheus and OpenMetrics
 * Compatibility" specification:
 *
 * - names: see `prometheus-names.ts` (unit and type suffixes, escaping, per {@link TranslationStrategy});
 * - labels: data point attributes (colliding escaped names join their values with `;` in key order),
 *   then promoted resource attributes where not already set, then `job` (`service.namespace/service.name`)
 *   and `instance` (`service.instance.id`), then scope labels if asked, then `__name__`, `le`, `quantile`;
 * - gauges and non-monotonic sums → gauge samples; cumulative monotonic sums → counters;
 *   cumulative histograms → `_sum` (when set), `_count`, cumulative `_bucket{le}` with a last `le="+Inf"`;
 *   summaries → `_sum`, `_count` and `{quantile}` samples;
 * - the NoRecordedValue flag → the stale marker on every sample of the point;
 * - per resource, a `target_info` gauge (value 1) carrying the resource attributes other than
 *   `service.name`/`service.namespace`/`service.instance.id`, with `job` and `instance`, sampled from the
 *   resource's earliest to its latest data point every half lookback delta.
 *
 * What Prometheus rejects or Mirador does not store is dropped and described in `problems`, never
 * silently: delta or unspecified temporality, exponential histograms (Prometheus makes native
 * histograms of them), metrics without data or data points, names that escape to nothing.
 * Exemplars and `_created` series are not produced.
 */
import { cmp, Labels, METRIC_NAME } from "../../model/labels.js";
import type { MetricMetadata, MetricType } from "../../model/sample.js";
import { STALE_NAN } from "../../model/stale.js";
import { anyValueText, compareCodePoints, formatFloatLabel } from "./label-text.js";
import type { OtlpMetricKind, TranslationStrategy } from "./prometheus-names.js";
import { buildLabelName, buildMetricName, buildUnitName } from "./prometheus-names.js";
import type {
  DataPointBase,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  KeyValue,
  Metric,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
} from "./types.js";
import { AggregationTemporality, FLAG_NO_RECORDED_VALUE } from "./types.js";

/** How {@link translateOtlpMetrics} maps names and resources; every field is optional. */
export interface OtlpTranslationOptions {
  /** Name translation; default `"UnderscoreEscapingWithSuffixes"`, as in Prometheus. */
  readonly translationStrategy?: TranslationStrategy;
  /** Resource attributes copied onto every series of the resource (e.g. `k8s.namespace.name`). */
  readonly promoteResourceAttributes?: readonly string[];
  /** Copy every resource attribute onto every series, except those in `ignoreResourceAttributes`. */
  readonly promoteAllResourceAttributes?: boolean;
  /** With `promoteAllResourceAttributes`, the attributes not to copy. */
  readonly ignoreResourceAttributes?: readonly string[];
  /** Keep `service.name`, `service.namespace` and `service.instance.id` on `target_info` as well. */
  readonly keepIdentifyingResourceAttributes?: boolean;
  /** Produce no `target_info` series. */
  readonly disableTargetInfo?: boolean;
  /**
   * Add `otel_scope_name`, `otel_scope_version`, `otel_scope_schema_url` and `otel_scope_<attribute>`
   * labels to the series of scopes that have a name. Off by default, as in Prometheus.
   */
  readonly promoteScopeMetadata?: boolean;
  /** The query lookback delta in ms; `target_info` is sampled every half of it. Default 5 minutes. */
  readonly lookbackDeltaMs?: number;
}

/**
 * Receives each sample: its complete label set, its Unix ms timestamp and its value (the stale marker
 * NaN is passed bit for bit). Samples come in request order; the same series may come more than once.
 */
export type OtlpSampleSink = (labels: Labels, t: number, v: number) => void;

/** What a translation reports besides its samples. */
export interface OtlpTranslationReport {
  /** One entry per metric family produced (first one wins for a repeated name), `target_info` included. */
  readonly metadata: MetricMetadata[];
  /** What was dropped and why, one line per metric and reason, meant for the sender's logs. */
  readonly problems: string[];
  /** How many samples went to the sink. */
  readonly samples: number;
}

/** One sample, as collected by {@link otlpToSamples}. */
export interface OtlpSample {
  readonly labels: Labels;
  /** Unix ms. */
  readonly t: number;
  readonly v: number;
}

/** Everything {@link otlpToSamples} produced. */
export interface OtlpSamples {
  readonly samples: OtlpSample[];
  readonly metadata: MetricMetadata[];
  readonly problems: string[];
}

/** Default lookback delta of the query engine (ms), which paces `target_info` samples. */
export const DEFAULT_LOOKBACK_DELTA_MS = 5 * 60 * 1000;

/**
 * The most `target_info` samples one resource may produce; a request whose data points span longer
 * gets one `target_info` sample, at its latest timestamp, and a problem line.
 */
export const MAX_TARGET_INFO_SAMPLES = 1000;

const SERVICE_NAME = "service.name";
const SERVICE_NAMESPACE = "service.namespace";
const SERVICE_INSTANCE_ID = "service.instance.id";
const IDENTIFYING = new Set([SERVICE_NAME, SERVICE_NAMESPACE, SERVICE_INSTANCE_ID]);
const TARGET_INFO = "target_info";

/**
 * Translates `req` into Prometheus samples, handing each to `sink` as it is made (no sample objects
 * are kept). Never throws for anything the request holds: what cannot be translated is reported.
 */
export function translateOtlpMetrics(
  req: ExportMetricsServiceRequest,
  sink: OtlpSampleSink,
  opts: OtlpTranslationOptions = {},
): OtlpTranslationReport {
  const t = new Translator(sink, opts);
  for (const rm of req.resourceMetrics) t.resource(rm);
  return { metadata: t.metadata, problems: t.problems, samples: t.count };
}

/** {@link translateOtlpMetrics} collecting the samples into an array, for tests and small requests. */
export function otlpToSamples(
  req: ExportMetricsServiceRequest,
  opts: OtlpTranslationOptions = {},
): OtlpSamples {
  const samples: OtlpSample[] = [];
  const { metadata, problems } = translateOtlpMetrics(
    req,
    (labels, t, v) => samples.push({ labels, t, v }),
    opts,
  );
  return { samples, metadata, problems };
}

/** Labels shared by every series of one resource, or of one scope within it. */
interface Shared {
  job: string;
  instance: string;
  promoted: Map<string, string>;
  scope: Map<string, string>;
}

class Translator {
  readonly metadata: MetricMetadata[] = [];
  readonly problems: string[] = [];
  count = 0;
  readonly #sink: OtlpSampleSink;
  readonly #opts: OtlpTranslationOptions;
  readonly #strategy: TranslationStrategy;
  readonly #promote: ReadonlySet<string>;
  readonly #ignore: ReadonlySet<string>;
  readonly #labelNames = new Map<string, string>();
  readonly #families = new Set<string>();
  readonly #targetInfoSeen = new Set<string>();

  constructor(sink: OtlpSampleSink, opts: OtlpTranslationOptions) {
    this.#sink = sink;
    this.#opts = opts;
    this.#strategy = opts.translationStrategy ?? "UnderscoreEscapingWithSuffixes";
    this.#promote = new Set(opts.promoteResourceAttributes ?? []);
    this.#ignore = new Set(opts.ignoreResourceAttributes ?? []);
  }

  resource(rm: ResourceMetrics): void {
    const attrs = rm.resource.attributes;
    const name = findAttribute(attrs, SERVICE_NAME);
    const ns = findAttribute(attrs, SERVICE_NAMESPACE);
    const id = findAttribute(attrs, SERVICE_INSTANCE_ID);
    const shared: Shared = {
      job: name === undefined ? "" : ns === undefined ? name : `${ns}/${name}`,
      instance: id ?? "",
      promoted: new Map(),
      scope: new Map(),
    };
    for (const kv of attrs) {
      const wanted = this.#opts.promoteAllResourceAttributes
        ? !this.#ignore.has(kv.key)
        : this.#promote.has(kv.key);
      if (!wanted) continue;
      const label = this.#labelName(kv.key);
      if (label === "") {
        this.problems.push(
          `resource attribute ${JSON.stringify(kv.key)} cannot be promoted: it is not a usable label name; ` +
            `the resource's metrics were dropped (change the promoted resource attributes or the attribute)`,
        );
        return;
      }
      shared.promoted.set(label, anyValueText(kv.value));
    }

    let minT = Number.POSITIVE_INFINITY;
    let maxT = Number.NEGATIVE_INFINITY;
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        if (m.data.type === "none") continue;
        for (const p of m.data.dataPoints) {
          if (p.timeMs < minT) minT = p.timeMs;
          if (p.timeMs > maxT) maxT = p.timeMs;
        }
      }
      if (this.#scopeLabels(sm, shared)) for (const m of sm.metrics) this.#metric(m, shared);
    }
    if (minT <= maxT && !this.#opts.disableTargetInfo) this.#targetInfo(rm, shared, minT, maxT);
  }

  /** Fills `shared.scope` for `sm`; false (and a problem) when a scope attribute has no usable name. */
  #scopeLabels(sm: ScopeMetrics, shared: Shared): boolean {
    shared.scope = new Map();
    if (!this.#opts.promoteScopeMetadata || sm.scope.name === "") return true;
    for (const kv of sm.scope.attributes) {
      const label = this.#labelName(`otel_scope_${kv.key}`);
      if (label === "") {
        this.problems.push(
          `scope ${JSON.stringify(sm.scope.name)}: attribute ${JSON.stringify(kv.key)} is not a usable ` +
            "label name; the scope's metrics were dropped",
        );
        return false;
      }
      shared.scope.set(label, anyValueText(kv.value));
    }
    shared.scope.set("otel_scope_name", sm.scope.name);
    shared.scope.set("otel_scope_version", sm.scope.version);
    shared.scope.set("otel_scope_schema_url", sm.schemaUrl);
    return true;
  }

  #metric(m: Metric, shared: Shared): void {
    const d = m.data;
    const what = `metric ${JSON.stringify(m.name)}`;
    if (d.type === "none") {
      this.problems.push(`${what}: no data (gauge, sum, histogram or summary); dropped`);
      return;
    }
    if (d.type === "exponentialHistogram") {
      this.problems.push(
        `${what}: exponential histograms are not supported; ${d.dataPoints.length} data points dropped ` +
          "(configure the SDK view or the collector to send explicit-bucket histograms)",
      );
      return;
    }
    if (d.type !== "gauge" && d.type !== "summary") {
      const temporality = d.aggregationTemporality;
      if (temporality !== AggregationTemporality.CUMULATIVE) {
        const which = temporality === AggregationTemporality.DELTA ? "delta" : `unspecified (${temporality})`;
        this.problems.push(
          `${what}: aggregation temporality ${which} is not supported, only cumulative; ` +
            `${d.dataPoints.length} data points dropped (set the exporter's temporality preference to ` +
            "cumulative, e.g. OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative)",
        );
        return;
      }
    }
    const kind: OtlpMetricKind =
      d.type === "sum" ? (d.isMonotonic ? "monotonicCounter" : "nonMonotonicCounter") : d.type;
    const family = buildMetricName(m.name, m.unit, kind, this.#strategy);
    if (family === "") {
      this.problems.push(`${what}: the name translates to an empty or all-underscore metric name; dropped`);
      return;
    }
    if (d.dataPoints.length === 0) {
      this.problems.push(`${what}: no data points; dropped`);
      return;
    }
    const type: MetricType =
      kind === "monotonicCounter"
        ? "counter"
        : kind === "histogram"
          ? "histogram"
          : kind === "summary"
            ? "summary"
            : "gauge";
    this.#addMetadata(family, type, m.description, buildUnitName(m.unit));

    if (d.type === "histogram") {
      this.#eachPoint(what, d.dataPoints, shared, (base, p) => this.#histogram(family, base, p));
    } else if (d.type === "summary") {
      this.#eachPoint(what, d.dataPoints, shared, (base, p) => this.#summary(family, base, p));
    } else {
      this.#eachPoint(what, d.dataPoints, shared, (base, p) =>
        this.#emit(base, family, "", "", p.timeMs, isStale(p) ? STALE_NAN : p.value),
      );
    }
  }

  /** Calls `write` with each point's shared labels; points whose labels cannot be made are counted, reported. */
  #eachPoint<P extends DataPointBase>(
    what: string,
    points: readonly P[],
    shared: Shared,
    write: (base: readonly string[], p: P) => void,
  ): void {
    let dropped = 0;
    let reason = "";
    for (const p of points) {
      const base = this.#baseLabels(p.attributes, shared);
      if (typeof base === "string") {
        dropped++;
        reason ||= base;
      } else write(base, p);
    }
    if (dropped > 0) this.problems.push(`${what}: ${dropped} data points dropped: ${reason}`);
  }

  #histogram(family: string, base: readonly string[], p: HistogramDataPoint): void {
    const stale = isStale(p);
    const t = p.timeMs;
    if (p.hasSum) this.#emit(base, `${family}_sum`, "", "", t, stale ? STALE_NAN : p.sum);
    this.#emit(base, `${family}_count`, "", "", t, stale ? STALE_NAN : p.count);
    const bucket = `${family}_bucket`;
    const n = Math.min(p.explicitBounds.length, p.bucketCounts.length);
    let cumulative = 0;
    for (let i = 0; i < n; i++) {
      cumulative += p.bucketCounts[i]!;
      this.#emit(
        base,
        bucket,
        "le",
        formatFloatLabel(p.explicitBounds[i]!),
        t,
        stale ? STALE_NAN : cumulative,
      );
    }
    this.#emit(base, bucket, "le", "+Inf", t, stale ? STALE_NAN : p.count);
  }

  #summary(family: string, base: readonly string[], p: SummaryDataPoint): void {
    const stale = isStale(p);
    const t = p.timeMs;
    this.#emit(base, `${family}_sum`, "", "", t, stale ? STALE_NAN : p.sum);
    this.#emit(base, `${family}_count`, "", "", t, stale ? STALE_NAN : p.count);
    for (let i = 0; i < p.quantiles.length; i++) {
      const v = stale ? STALE_NAN : p.values[i]!;
      this.#emit(base, family, "quantile", formatFloatLabel(p.quantiles[i]!), t, v);
    }
  }

  /**
   * The labels every series of a data point shares, as flat `[name, value, …]` pairs sorted by name,
   * without empty values; or, when an attribute has no usable name, the reason as a string.
   */
  #baseLabels(attributes: readonly KeyValue[], shared: Shared): readonly string[] | string {
    const labels = this.#attributeLabels(attributes, undefined);
    if (typeof labels === "string") return labels;
    for (const [k, v] of shared.promoted) if (!labels.get(k)) labels.set(k, v);
    if (shared.job !== "") labels.set("job", shared.job);
    if (shared.instance !== "") labels.set("instance", shared.instance);
    for (const [k, v] of shared.scope) labels.set(k, v);
    const flat: string[] = [];
    for (const [k, v] of labels) flat.push(k, v);
    return Labels.fromPairs(flat).pairs;
  }

  /**
   * Attributes as labels, in key order so that keys colliding once escaped join their values with `;`
   * in a stable order. `__name__` and the keys in `skip` are left out.
   */
  #attributeLabels(
    attributes: readonly KeyValue[],
    skip: ReadonlySet<string> | undefined,
  ): Map<string, string> | string {
    const kept = attributes.filter((kv) => kv.key !== METRIC_NAME && !skip?.has(kv.key));
    if (kept.length > 1) kept.sort((a, b) => compareCodePoints(a.key, b.key));
    const labels = new Map<string, string>();
    for (const kv of kept) {
      const name = this.#labelName(kv.key);
      if (name === "") return `attribute ${JSON.stringify(kv.key)} is not a usable label name`;
      const value = anyValueText(kv.value);
      const existing = labels.get(name);
      labels.set(name, existing ? `${existing};${value}` : value);
    }
    return labels;
  }

  #targetInfo(rm: ResourceMetrics, shared: Shared, minT: number, maxT: number): void {
    const attrs = rm.resource.attributes;
    let identifying = 0;
    for (const key of IDENTIFYING) if (findAttribute(attrs, key) !== undefined) identifying++;
    if (attrs.length - identifying === 0) return; // job and instance alone: nothing to add
    const labels = this.#attributeLabels(
      attrs,
      this.#opts.keepIdentifyingResourceAttributes ? undefined : IDENTIFYING,
    );
    if (typeof labels === "string") {
      this.problems.push(`target_info: ${labels}; no target_info for this resource`);
      return;
    }
    if (shared.job !== "") labels.set("job", shared.job);
    if (shared.instance !== "") labels.set("instance", shared.instance);
    if (!labels.get("job") && !labels.get("instance")) return; // nothing would tie it to the series
    const flat: string[] = [];
    for (const [k, v] of labels) flat.push(k, v);
    const ls = Labels.fromPairs([...flat, METRIC_NAME, TARGET_INFO]);
    const key = ls.key();

    const interval = Math.max(1, Math.floor((this.#opts.lookbackDeltaMs ?? DEFAULT_LOOKBACK_DELTA_MS) / 2));
    let from = minT;
    if ((maxT - minT) / interval > MAX_TARGET_INFO_SAMPLES) {
      this.problems.push(
        `target_info: the resource's data points span ${maxT - minT} ms, more than ` +
          `${MAX_TARGET_INFO_SAMPLES} target_info samples; target_info written at the latest timestamp only`,
      );
      from = maxT;
    }
    const emit = (t: number): void => {
      const seen = `${key}\u0000${t}`;
      if (this.#targetInfoSeen.has(seen)) return;
      this.#targetInfoSeen.add(seen);
      this.count++;
      this.#sink(ls, t, 1);
    };
    let last = Number.NEGATIVE_INFINITY;
    for (let t = from; t < maxT; t += interval) {
      emit(t);
      last = t;
    }
    if (last < maxT) emit(maxT);
    this.#addMetadata(TARGET_INFO, "gauge", "Target metadata", "");
  }

  /** Hands one sample to the sink: `base` (sorted pairs) with `__name__` and, if not `""`, `extra` set. */
  #emit(
    base: readonly string[],
    name: string,
    extra: string,
    extraValue: string,
    t: number,
    v: number,
  ): void {
    let flat = withLabel(base, METRIC_NAME, name);
    if (extra !== "") flat = withLabel(flat, extra, extraValue);
    this.count++;
    this.#sink(Labels.fromSortedPairsUnsafe(flat), t, v);
  }

  #addMetadata(name: string, type: MetricType, help: string, unit: string): void {
    if (this.#families.has(name)) return;
    this.#families.add(name);
    this.metadata.push({ name, type, help, unit });
  }

  /** The label name of an attribute key, cached for the request; `""` when unusable. */
  #labelName(key: string): string {
    let name = this.#labelNames.get(key);
    if (name === undefined) {
      name = buildLabelName(key, this.#strategy);
      this.#labelNames.set(key, name);
    }
    return name;
  }
}

/** The text of the first attribute named `key`, or undefined. */
function findAttribute(attrs: readonly KeyValue[], key: string): string | undefined {
  for (const kv of attrs) if (kv.key === key) return anyValueText(kv.value);
  return undefined;
}

/**
 * A copy of `sorted` (flat pairs sorted by name, names unique) with `name` set to the non-empty `value`,
 * kept sorted: one pass instead of a sort per series.
 */
function withLabel(sorted: readonly string[], name: string, value: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (; i < sorted.length && cmp(sorted[i]!, name) < 0; i += 2) out.push(sorted[i]!, sorted[i + 1]!);
  out.push(name, value);
  if (sorted[i] === name) i += 2;
  for (; i < sorted.length; i++) out.push(sorted[i]!);
  return out;
}

function isStale(p: DataPointBase): boolean {
  return (p.flags & FLAG_NO_RECORDED_VALUE) !== 0;
}
