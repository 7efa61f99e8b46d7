import { Labels, METRIC_NAME } from "../../model/labels.js";
import type { Exposition } from "../../model/sample.js";
import {
  type ExpositionVisitor,
  type SeriesLabels,
  visitTextExposition,
} from "../../wire/exposition/text-parser.js";
import type { BatchBuilder } from "./batch-builder.js";
import { ScrapeError } from "./errors.js";
import type { ScrapeOptions } from "./options.js";
import { withAgentLabels, withTargetLabels } from "./sample-labels.js";
import type { CacheEntry, ScrapeCache } from "./scrape-cache.js";
import { flatCopy, type StringInterner } from "./string-interner.js";

/**
 * Turns one scrape's exposition into final samples in a batch: target labels (`honor_labels`),
 * `metric_relabel_configs`, label limits, external labels and `cluster` are applied once per raw
 * series text and cached (see {@link ScrapeCache}); per sample there is one map lookup and three
 * array writes. Counters describe the last append, also when it threw.
 */
export class ScrapeAppender implements ExpositionVisitor {
  /** Samples in the exposition. */
  scraped = 0;
  /** Samples kept after metric relabelling (duplicates of a series within the scrape excluded). */
  postRelabel = 0;
  /** Series not in the cache before this scrape. */
  seriesAdded = 0;

  readonly #target: Labels;
  readonly #o: ScrapeOptions;
  readonly #cache: ScrapeCache;
  readonly #job: string;
  readonly #strings: StringInterner;
  #batch: BatchBuilder | undefined;
  #t = 0;
  #limitError: ScrapeError | undefined;

  constructor(
    job: string,
    targetLabels: Labels,
    options: ScrapeOptions,
    cache: ScrapeCache,
    strings: StringInterner,
  ) {
    this.#job = job;
    this.#strings = strings;
    this.#target = targetLabels;
    this.#o = options;
    this.#cache = cache;
  }

  /** Appends a text or OpenMetrics body scraped at `t` (Unix ms). Throws WireError or ScrapeError. */
  appendText(text: string, openMetrics: boolean, t: number, batch: BatchBuilder): void {
    this.#begin(batch, t);
    visitTextExposition(text, { openMetrics }, this);
    this.#end();
  }

  /** Appends a built-in collector's exposition (its label sets' keys stand in for the raw text). */
  appendExposition(exposition: Exposition, t: number, batch: BatchBuilder): void {
    this.#begin(batch, t);
    for (const s of exposition.samples) {
      const labels = s.labels;
      this.#sample(labels.key(), s.value, s.timestamp ?? Number.NaN, () => labels);
    }
    this.#end();
  }

  /** {@link ExpositionVisitor} callback: one parsed sample line. */
  sample(series: string, value: number, timestamp: number, parsed: SeriesLabels): void {
    this.#sample(series, value, timestamp, () => parsed.labels());
  }

  #begin(batch: BatchBuilder, t: number): void {
    this.#batch = batch;
    this.#t = t;
    this.scraped = 0;
    this.postRelabel = 0;
    this.seriesAdded = 0;
    this.#limitError = undefined;
  }

  #end(): void {
    this.#batch = undefined;
    if (this.#limitError !== undefined) throw this.#limitError;
  }

  #sample(raw: string, value: number, timestamp: number, labels: () => Labels): void {
    this.scraped++;
    // Past sample_limit the scrape has failed; keep counting what the target exposes, as Prometheus does.
    if (this.#limitError !== undefined) return;
    let e: CacheEntry | undefined = this.#cache.get(raw);
    if (e === undefined) {
      const final = this.#resolve(labels());
      e = this.#cache.add(flatCopy(raw), final);
      if (final !== null) this.seriesAdded++;
    }
    const series = e.series;
    if (series === null) return;
    const o = this.#o;
    const explicit = o.honorTimestamps && !Number.isNaN(timestamp);
    if (!this.#cache.emit(series, !explicit || o.trackTimestampsStaleness)) return;
    this.postRelabel++;
    if (o.sampleLimit > 0 && this.postRelabel > o.sampleLimit) {
      this.#limitError = new ScrapeError(
        "sample_limit",
        `sample_limit exceeded: more than ${o.sampleLimit} samples after metric relabeling (raise sample_limit of job "${this.#job}")`,
      );
      return;
    }
    this.#batch!.push(series.labels, explicit ? timestamp : this.#t, value);
  }

  /** `labels` with every string the interner's copy (none of them a slice of the scrape body). */
  #intern(labels: Labels): Labels {
    const p = labels.pairs;
    const out: string[] = new Array(p.length);
    for (let i = 0; i < p.length; i++) out[i] = this.#strings.intern(p[i]!);
    return Labels.fromSortedPairsUnsafe(out);
  }

  /** A scraped label set's final form, or `null` when metric relabelling drops it. */
  #resolve(scraped: Labels): Labels | null {
    const o = this.#o;
    let l: Labels | undefined = withTargetLabels(this.#intern(scraped), this.#target, o.honorLabels);
    if (o.metricRelabel !== undefined) {
      l = o.metricRelabel.apply(l);
      if (l === undefined || l.size === 0) return null;
    }
    const name = l.get(METRIC_NAME);
    if (name === "") {
      throw new ScrapeError(
        "invalid_series",
        `series ${l.toString()} has no metric name after metric_relabel_configs of job "${this.#job}"`,
      );
    }
    this.#checkLimits(l, name);
    return withAgentLabels(l, o.externalLabels, o.cluster);
  }

  /** `label_limit`, `label_name_length_limit`, `label_value_length_limit`, checked as Prometheus does. */
  #checkLimits(l: Labels, name: string): void {
    const o = this.#o;
    const metric = name.slice(0, 50);
    if (o.labelLimit > 0 && l.size > o.labelLimit) {
      throw new ScrapeError(
        "label_limit",
        `label_limit exceeded (metric: ${metric}, number of labels: ${l.size}, limit: ${o.labelLimit}); raise label_limit of job "${this.#job}"`,
      );
    }
    if (o.labelNameLengthLimit <= 0 && o.labelValueLengthLimit <= 0) return;
    const p = l.pairs;
    for (let i = 0; i < p.length; i += 2) {
      const n = p[i]!;
      const v = p[i + 1]!;
      if (o.labelNameLengthLimit > 0 && n.length > o.labelNameLengthLimit) {
        throw new ScrapeError(
          "label_name_length_limit",
          `label_name_length_limit exceeded (metric: ${metric}, label name: ${n.slice(0, 50)}, length: ${n.length}, limit: ${o.labelNameLengthLimit}); raise label_name_length_limit of job "${this.#job}"`,
        );
      }
      if (o.labelValueLengthLimit > 0 && v.length > o.labelValueLengthLimit) {
        throw new ScrapeError(
          "label_value_length_limit",
          `label_value_length_limit exceeded (metric: ${metric}, label name: ${n.slice(0, 50)}, value: ${JSON.stringify(v.slice(0, 50))}, length: ${v.length}, limit: ${o.labelValueLengthLimit}); raise label_value_length_limit of job "${this.#job}"`,
        );
      }
    }
  }
}
