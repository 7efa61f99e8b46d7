import { cmp, Labels, METRIC_NAME } from "../../model/labels.js";
import type { ExposedSample, Exposition, MetricMetadata, MetricType } from "../../model/sample.js";

/** The metric types host collectors produce. */
export type HostMetricType = Extract<MetricType, "counter" | "gauge">;

/**
 * One metric family produced by a host collector: name, type, help, a fixed list of label names and
 * the samples added so far. Samples are kept flat — `values[i]` goes with
 * `labelValues[i * k … i * k + k - 1]` where `k = labelNames.length` — so a family with many series
 * costs two arrays, not an object per sample. An empty label value means the label is absent.
 */
export class MetricFamilyOut {
  /** Sample values in the order added. */
  readonly values: number[] = [];
  /** Label values, `labelNames.length` per sample, in `labelNames` order. */
  readonly labelValues: string[] = [];

  constructor(
    /** Full metric name, e.g. `node_cpu_seconds_total`. */
    readonly name: string,
    /** Counter or gauge. */
    readonly type: HostMetricType,
    /** One-line HELP text. */
    readonly help: string,
    /** Label names every sample carries, unique, never `__name__`. */
    readonly labelNames: readonly string[] = [],
  ) {
    const seen = new Set<string>();
    for (const n of labelNames) {
      if (n === METRIC_NAME || n === "" || seen.has(n)) {
        throw new Error(`MetricFamilyOut ${name}: bad or repeated label name ${JSON.stringify(n)}`);
      }
      seen.add(n);
    }
  }

  /** Appends one sample; give exactly one label value per label name, in `labelNames` order. */
  add(value: number, ...labelValues: string[]): this {
    if (labelValues.length !== this.labelNames.length) {
      throw new Error(
        `MetricFamilyOut ${this.name}: ${labelValues.length} label values for ${this.labelNames.length} names`,
      );
    }
    this.values.push(value);
    for (const v of labelValues) this.labelValues.push(v);
    return this;
  }

  /** Number of samples. */
  get length(): number {
    return this.values.length;
  }

  /**
   * Appends this family's samples (labels with `__name__`, no timestamp) to `samples` and its
   * metadata to `metadata`. An empty family appends nothing, as an exporter shows no HELP for it.
   */
  appendTo(samples: ExposedSample[], metadata: MetricMetadata[]): void {
    if (this.values.length === 0) return;
    metadata.push({ name: this.name, type: this.type, help: this.help, unit: "" });
    // Sort the label names once; every sample's pairs then come out already in Labels order.
    const names = [METRIC_NAME, ...this.labelNames];
    const order = names.map((_, i) => i).sort((a, b) => cmp(names[a]!, names[b]!));
    const k = this.labelNames.length;
    for (let s = 0; s < this.values.length; s++) {
      const pairs: string[] = [];
      for (const i of order) {
        const value = i === 0 ? this.name : this.labelValues[s * k + i - 1]!;
        if (value !== "") pairs.push(names[i]!, value);
      }
      samples.push({ labels: Labels.fromSortedPairsUnsafe(pairs), value: this.values[s]! });
    }
  }
}

/** The samples and metadata of `families`, in the given order. */
export function toExposition(families: readonly MetricFamilyOut[]): Exposition {
  const samples: ExposedSample[] = [];
  const metadata: MetricMetadata[] = [];
  for (const f of families) f.appendTo(samples, metadata);
  return { samples, metadata };
}
