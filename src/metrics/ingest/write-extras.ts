import { Counter, type Registry } from "prom-client";
import { type Labels, METRIC_NAME } from "../../model/labels.js";
import type { RawLabels } from "../../wire/remote-write/raw-labels.js";
import type { ExemplarStore } from "../exemplars/exemplar-store.js";
import { type MetadataStore, type MetricMetadata, metricTypeName } from "../metadata/metadata-store.js";

/**
 * What a write carries besides samples — metric metadata and exemplars — and where it goes. The
 * request's {@link SampleWriter} hands both to a batch begun with the request; the batch keeps them
 * only if the request's samples commit (a request refused whole, e.g. 429, keeps none).
 */
export interface WriteExtras {
  /** Starts the batch of one request of `tenant`. */
  begin(tenant: string): WriteExtrasBatch;
}

/** One request's metadata and exemplars, held until {@link WriteExtrasBatch.commit}. Not safe for concurrent use. */
export interface WriteExtrasBatch {
  /**
   * Metadata of family `familyName` (remote-write 1.0; `series` undefined) or of the accepted
   * series whose labels are `series` (2.0; `familyName` ""). `type` is a remote-write `MetricType`
   * number. `series` is valid only during the call. The last metadata of a family wins.
   */
  metadata(series: RawLabels | undefined, type: number, familyName: string, help: string, unit: string): void;
  /**
   * An exemplar of the accepted series `series`, which has the request handle `handle` (the same
   * handle means the same series); both label views are valid only during the call. `t` is Unix ms.
   */
  exemplar(handle: number, series: RawLabels, labels: RawLabels, value: number, t: number): void;
  /** Keeps what the batch holds (the request's samples are committed); returns the exemplars kept. */
  commit(): number;
}

// Suffixes of the series of a classic histogram or summary family: 2.0 sends metadata per series.
const HISTOGRAM_SUFFIXES = ["_bucket", "_count", "_sum", "_created"];
const GAUGE_HISTOGRAM_SUFFIXES = ["_bucket", "_gcount", "_gsum"];
const SUMMARY_SUFFIXES = ["_count", "_sum", "_created"];

/**
 * {@link WriteExtras} into the metrics role's {@link MetadataStore} and {@link ExemplarStore}, with
 * counters of what they kept, refused and forgot.
 */
export class StoredWriteExtras implements WriteExtras {
  readonly #exemplarsKept: Counter<"tenant">;
  readonly #exemplarsRefused: Counter<"tenant" | "reason">;
  readonly #familiesEvicted: Counter<"tenant">;

  constructor(
    readonly metadata: MetadataStore,
    readonly exemplars: ExemplarStore,
    metrics: Registry,
  ) {
    this.#exemplarsKept = new Counter({
      name: "mirador_ingest_exemplars_total",
      help: "Exemplars kept, per tenant.",
      labelNames: ["tenant"],
      registers: [metrics],
    });
    this.#exemplarsRefused = new Counter({
      name: "mirador_ingest_exemplars_refused_total",
      help: "Exemplars not kept, per tenant and reason (a duplicate of the newest is not counted).",
      labelNames: ["tenant", "reason"],
      registers: [metrics],
    });
    this.#familiesEvicted = new Counter({
      name: "mirador_metadata_families_evicted_total",
      help: "Metric families whose metadata was forgotten to stay under metrics.limits.max_metadata_families.",
      labelNames: ["tenant"],
      registers: [metrics],
    });
  }

  begin(tenant: string): WriteExtrasBatch {
    return new StoredBatch(this, tenant);
  }

  /** Applies a committed batch (used by its {@link WriteExtrasBatch.commit}). */
  apply(tenant: string, batch: PendingExtras): number {
    let evicted = 0;
    for (const [family, md] of batch.families) evicted += this.metadata.set(tenant, family, md);
    if (evicted > 0) this.#familiesEvicted.inc({ tenant }, evicted);
    let kept = 0;
    for (const e of batch.held) {
      const outcome = this.exemplars.append(tenant, e.series, e.labels, e.value, e.t);
      if (outcome === "appended") kept++;
      else if (outcome !== "duplicate") this.#exemplarsRefused.inc({ tenant, reason: outcome });
    }
    if (batch.invalidExemplars > 0)
      this.#exemplarsRefused.inc({ tenant, reason: "invalid_labels" }, batch.invalidExemplars);
    if (kept > 0) this.#exemplarsKept.inc({ tenant }, kept);
    return kept;
  }
}

/** What a batch holds until its commit. */
interface PendingExtras {
  /** Family → its last metadata in the request. */
  readonly families: ReadonlyMap<string, MetricMetadata>;
  /** Exemplars in wire order. */
  readonly held: readonly { series: Labels; labels: Labels; value: number; t: number }[];
  /** Exemplars refused for an empty or repeated label name. */
  readonly invalidExemplars: number;
}

class StoredBatch implements WriteExtrasBatch, PendingExtras {
  readonly families = new Map<string, MetricMetadata>();
  readonly held: { series: Labels; labels: Labels; value: number; t: number }[] = [];
  invalidExemplars = 0;
  // The labels of the series of the last exemplar, built once per series.
  #handle = -1;
  #series: Labels | undefined;

  constructor(
    private readonly to: StoredWriteExtras,
    private readonly tenant: string,
  ) {}

  metadata(
    series: RawLabels | undefined,
    type: number,
    familyName: string,
    help: string,
    unit: string,
  ): void {
    let family = familyName;
    if (series !== undefined) {
      // 2.0 metadata that says nothing would only erase what 1.0 or an earlier series said.
      if (type === 0 && help === "" && unit === "") return;
      family = familyOf(series, type);
    }
    if (family === "") return;
    this.families.set(family, { type: metricTypeName(type), help, unit });
  }

  exemplar(handle: number, series: RawLabels, labels: RawLabels, value: number, t: number): void {
    if (labels.problem() !== undefined) {
      this.invalidExemplars++;
      return;
    }
    if (handle !== this.#handle || this.#series === undefined) {
      this.#handle = handle;
      this.#series = series.toLabels();
    }
    this.held.push({ series: this.#series, labels: labels.toLabels(), value, t });
  }

  commit(): number {
    return this.to.apply(this.tenant, this);
  }
}

/** The metric family of a series from its name and type: a classic histogram's or summary's series suffixes dropped. */
function familyOf(series: RawLabels, type: number): string {
  let name = "";
  for (let i = 0; i < series.count; i++) {
    if (series.nameEquals(i, METRIC_NAME)) {
      name = series.valueAt(i);
      break;
    }
  }
  const suffixes =
    type === 3
      ? HISTOGRAM_SUFFIXES
      : type === 4
        ? GAUGE_HISTOGRAM_SUFFIXES
        : type === 5
          ? SUMMARY_SUFFIXES
          : [];
  for (const s of suffixes) {
    if (name.length > s.length && name.endsWith(s)) return name.slice(0, -s.length);
  }
  return name;
}
