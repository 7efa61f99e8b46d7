import { Labels } from "../../model/labels.js";
import type { Exposition } from "../../model/sample.js";
import { WireError } from "../../wire/errors.js";
import type { BatchSink } from "../sample-batch.js";
import { BatchBuilder } from "./batch-builder.js";
import { ScrapeError, type ScrapeErrorCode } from "./errors.js";
import type { ScrapedBody } from "./http-scraper.js";
import type { ScrapeOptions } from "./options.js";
import { isOpenMetrics } from "./protocols.js";
import { withAgentLabels, withTargetLabels } from "./sample-labels.js";
import { alignToSchedule, scrapeOffset, TIMESTAMP_TOLERANCE_MS, untilNextSlot } from "./schedule.js";
import { ScrapeAppender } from "./scrape-append.js";
import { ScrapeCache, type TrackedSeries } from "./scrape-cache.js";
import { StringInterner } from "./string-interner.js";

/** Where a loop gets its exposition: an HTTP body to parse, or a built-in collector's samples. */
export interface ScrapeSource {
  /** Scrapes once; rejects on failure. `signal` aborts at the scrape timeout or on stop. */
  scrape(signal: AbortSignal, timeoutMs: number): Promise<ScrapedBody | Exposition>;
  /** Releases connections; called once when the loop stops. */
  close?(): void;
}

/** The identity and schedule of what a loop scrapes (a {@link ResolvedTarget} or a collector). */
export interface LoopTarget {
  readonly key: string;
  readonly job: string;
  /** Target labels, with `job` and `instance`, no `__` labels. */
  readonly labels: Labels;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** The outcome of one scrape, for the agent's own metrics and targets page. */
export interface ScrapeReport {
  /** The scrape's timestamp, Unix ms. */
  readonly timestamp: number;
  readonly up: boolean;
  /** `scrape_samples_scraped`: samples in the exposition. */
  readonly samplesScraped: number;
  /** `scrape_samples_post_metric_relabeling`. */
  readonly samplesPostRelabel: number;
  /** `scrape_series_added`. */
  readonly seriesAdded: number;
  /** `scrape_duration_seconds`: the fetch (and, for collectors, the collection). */
  readonly durationSeconds: number;
  readonly error?: string;
  readonly errorCode?: ScrapeErrorCode;
}

/** What a loop shares with its pool. */
export interface LoopDeps {
  /** Receives one batch per scrape (and one on `stop({ markStale: true })`). */
  readonly sink: BatchSink;
  readonly onReport?: (target: LoopTarget, report: ScrapeReport) => void;
  /** Mixed into the start offset (e.g. the cluster id): stable across restarts, distinct per agent. */
  readonly identity: string;
  /** Phases are rounded down to multiples of this (ms; 0 or absent: spread as Prometheus does). */
  readonly alignmentMs?: number;
  /** Holds the label strings of the pool's series once (absent: one interner per loop). */
  readonly strings?: StringInterner;
  /** Wall clock, Unix ms (tests inject one). */
  readonly now?: () => number;
}

/** The synthetic series of every scrape, in the order they are emitted. */
const REPORT_NAMES = [
  "up",
  "scrape_duration_seconds",
  "scrape_samples_scraped",
  "scrape_samples_post_metric_relabeling",
  "scrape_series_added",
] as const;

/**
 * Scrapes one target every `intervalMs` at a stable per-target phase, with Prometheus's semantics:
 * each scrape emits one batch holding the scraped samples (labelled, relabelled, limited), stale
 * markers for series that vanished since the previous scrape (all of them when the scrape failed),
 * and the synthetic series `up`, `scrape_duration_seconds`, `scrape_samples_scraped`,
 * `scrape_samples_post_metric_relabeling` and `scrape_series_added`. A failed scrape sends no
 * scraped samples at all (it is one transaction, as in Prometheus), only stale markers and `up 0`.
 */
export class TargetLoop {
  readonly target: LoopTarget;
  readonly options: ScrapeOptions;
  /** Phase within the interval, ms. */
  readonly offsetMs: number;
  readonly #source: ScrapeSource;
  readonly #deps: LoopDeps;
  readonly #now: () => number;
  readonly #cache = new ScrapeCache();
  readonly #appender: ScrapeAppender;
  readonly #batch = new BatchBuilder();
  readonly #reportLabels: readonly Labels[];
  #timer: NodeJS.Timeout | undefined;
  #ac: AbortController | undefined;
  #running: Promise<ScrapeReport> | undefined;
  #stopped = false;
  #reported = false;
  #last: ScrapeReport | undefined;
  /** The timestamp of the latest scrape begun; each next one is later. */
  #lastT = Number.NEGATIVE_INFINITY;

  constructor(target: LoopTarget, source: ScrapeSource, options: ScrapeOptions, deps: LoopDeps) {
    this.target = target;
    this.options = options;
    this.#source = source;
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.offsetMs = scrapeOffset(target.key, deps.identity, target.intervalMs, deps.alignmentMs);
    this.#appender = new ScrapeAppender(
      target.job,
      target.labels,
      options,
      this.#cache,
      deps.strings ?? new StringInterner(),
    );
    // Report series get the target labels (target wins, as Prometheus's report mutator does) and the
    // agent's labels, but never metric_relabel_configs.
    this.#reportLabels = REPORT_NAMES.map((name) =>
      withAgentLabels(
        withTargetLabels(Labels.fromPairs(["__name__", name]), target.labels, false),
        options.externalLabels,
        options.cluster,
      ),
    );
  }

  /** The last scrape's report, if any. */
  get lastReport(): ScrapeReport | undefined {
    return this.#last;
  }

  /** Starts scraping at this target's phase within the interval. */
  start(): void {
    this.#stopped = false;
    const { intervalMs } = this.target;
    const tick = () => {
      if (this.#stopped) return;
      void this.scrapeOnce();
      // A timer may fire a few ms before its slot (libuv measures from a cached loop time); the
      // scrape then takes the slot's timestamp, and the next tick must aim at the slot after it,
      // not at the same one a few ms later.
      const now = this.#now();
      const slot = alignToSchedule(now, intervalMs, this.offsetMs, TIMESTAMP_TOLERANCE_MS);
      this.#timer = setTimeout(tick, untilNextSlot(Math.max(now, slot), intervalMs, this.offsetMs));
    };
    this.#timer = setTimeout(tick, untilNextSlot(this.#now(), intervalMs, this.offsetMs));
  }

  /**
   * Stops scraping: the in-flight scrape is aborted and awaited. With `markStale` (the target was
   * removed by discovery) every series of the last scrape, and the report series, get a stale marker
   * at the current time. Prometheus writes them at the next scheduled scrape instead, to let a target
   * that moved to another pool take over; with one pool per agent that wait buys nothing. Without
   * `markStale` (agent shutdown, reconfiguration) nothing is sent, as Prometheus does on shutdown.
   */
  async stop(opts: { markStale?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#ac?.abort(new Error("scrape loop stopped"));
    await this.#running;
    this.#source.close?.();
    if (!opts.markStale) return;
    const t = this.#now();
    const batch = this.#batch;
    batch.reset();
    this.#cache.staleAll(batch, t);
    if (this.#reported) for (const l of this.#reportLabels) batch.pushStale(l, t);
    this.#reported = false;
    if (batch.length > 0) this.#deps.sink(batch.view());
  }

  /** Series the last scrape produced, for a loop replacing this one after a config change. */
  handOver(): readonly TrackedSeries[] {
    return this.#cache.lastSeries();
  }

  /** Takes over the series of the loop this one replaces (see {@link handOver}). */
  inherit(series: readonly TrackedSeries[], reported: boolean): void {
    this.#cache.inherit(series);
    this.#reported ||= reported;
  }

  /** Whether report series were sent (and so need stale markers when the target goes). */
  get hasReported(): boolean {
    return this.#reported;
  }

  /** Scrapes now; while a scrape is running, returns that one. */
  scrapeOnce(): Promise<ScrapeReport> {
    this.#running ??= this.#scrape().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #scrape(): Promise<ScrapeReport> {
    const { intervalMs, timeoutMs: configured } = this.target;
    const timeoutMs = Math.min(configured, intervalMs);
    // Strictly after the previous scrape: two scrapes at one timestamp would carry different values
    // for the same series, and the seed keeps only the first.
    const t = Math.max(
      alignToSchedule(this.#now(), intervalMs, this.offsetMs, TIMESTAMP_TOLERANCE_MS),
      this.#lastT + 1,
    );
    this.#lastT = t;
    const ac = new AbortController();
    this.#ac = ac;
    const timer = setTimeout(
      () => ac.abort(new ScrapeError("timeout", `scrape timed out after ${timeoutMs} ms (scrape_timeout)`)),
      timeoutMs,
    );
    const started = performance.now();
    let body: ScrapedBody | Exposition | undefined;
    let error: ScrapeError | undefined;
    try {
      body = await this.#source.scrape(ac.signal, timeoutMs);
    } catch (err) {
      error = toScrapeError(ac.signal.aborted ? ac.signal.reason : err);
    } finally {
      clearTimeout(timer);
      this.#ac = undefined;
    }
    const durationSeconds = (performance.now() - started) / 1000;
    if (this.#stopped) {
      // Stopped mid-scrape: nothing is sent (no `up 0` for a target that is merely being let go), and
      // the previous scrape's series stay known for stop's stale markers.
      return {
        timestamp: t,
        up: false,
        samplesScraped: 0,
        samplesPostRelabel: 0,
        seriesAdded: 0,
        durationSeconds,
        error: "scrape loop stopped",
      };
    }

    const batch = this.#batch;
    const appender = this.#appender;
    batch.reset();
    if (body !== undefined) {
      try {
        if ("text" in body) {
          appender.appendText(
            body.text,
            isOpenMetrics(body.contentType, this.options.fallbackScrapeProtocol),
            t,
            batch,
          );
        } else {
          appender.appendExposition(body, t, batch);
        }
      } catch (err) {
        error = toScrapeError(err);
      }
    }
    if (error === undefined) {
      this.#cache.succeeded(batch, t, body !== undefined && "text" in body && body.text.length === 0);
    } else {
      batch.reset();
      this.#cache.failed(batch, t);
    }
    const scraped = body === undefined ? 0 : appender.scraped;
    const report: ScrapeReport = {
      timestamp: t,
      up: error === undefined,
      samplesScraped: scraped,
      samplesPostRelabel: body === undefined ? 0 : appender.postRelabel,
      seriesAdded: error === undefined ? appender.seriesAdded : 0,
      durationSeconds,
      ...(error !== undefined && { error: error.message, errorCode: error.code }),
    };
    const values = [
      report.up ? 1 : 0,
      durationSeconds,
      report.samplesScraped,
      report.samplesPostRelabel,
      report.seriesAdded,
    ];
    for (let i = 0; i < values.length; i++) batch.push(this.#reportLabels[i]!, t, values[i]!);
    this.#reported = true;
    this.#last = report;
    this.#deps.sink(batch.view());
    this.#deps.onReport?.(this.target, report);
    return report;
  }
}

/** Any failure as a {@link ScrapeError}; parse errors keep the parser's message (it names the line). */
function toScrapeError(err: unknown): ScrapeError {
  if (err instanceof ScrapeError) return err;
  if (err instanceof WireError) return new ScrapeError("parse", err.message, { cause: err });
  return new ScrapeError("network", err instanceof Error ? err.message : String(err), { cause: err });
}
