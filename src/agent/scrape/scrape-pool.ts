import { Labels } from "../../model/labels.js";
import type { Exposition } from "../../model/sample.js";
import type { ResolvedTarget } from "../discovery/types.js";
import type { BatchSink } from "../sample-batch.js";
import { collectorSource } from "./collector-source.js";
import { HttpScraper } from "./http-scraper.js";
import type { ScrapeOptions } from "./options.js";
import { StringInterner } from "./string-interner.js";
import { type LoopTarget, type ScrapeReport, TargetLoop } from "./target-loop.js";

/** What every loop of a pool shares. */
export interface ScrapePoolDeps {
  /** Receives one batch per scrape of any target. */
  readonly sink: BatchSink;
  readonly onReport?: (target: LoopTarget, report: ScrapeReport) => void;
  /** The agent's identity (e.g. its cluster id), mixed into every target's start offset. */
  readonly identity: string;
  /** `scrape_alignment` in ms: phases are rounded down to multiples of it (0: spread). */
  readonly alignmentMs?: number;
  /** Wall clock, Unix ms. */
  readonly now?: () => number;
  /** Start loops' timers when they are created (default true; tests drive `scrapeOnce`). */
  readonly autoStart?: boolean;
}

/** A built-in collector scraped like a target, with a fixed target label set. */
export interface CollectorSpec {
  readonly job: string;
  readonly instance: string;
  /** More target labels (`job` and `instance` are added). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly collector: { collect(): Promise<Exposition> };
  readonly options: ScrapeOptions;
}

interface Job {
  options: ScrapeOptions;
  readonly loops: Map<string, TargetLoop>;
}

/**
 * The agent's scrape manager: one {@link TargetLoop} per target, grouped by job. {@link sync} makes
 * a job's loops match discovery's latest list, as Prometheus's scrape pool does on each update;
 * {@link drop} removes a job; {@link pause} and {@link resume} stop and restart every loop (a flow
 * switched off by the seed).
 */
export class ScrapePool {
  readonly #deps: ScrapePoolDeps & { readonly strings: StringInterner };
  readonly #jobs = new Map<string, Job>();
  /** Serialises syncs and stop, so loops are never started and stopped concurrently. */
  #queue: Promise<void> = Promise.resolve();
  /** Loops are not running and new ones are not started. */
  #paused = false;

  constructor(deps: ScrapePoolDeps) {
    this.#deps = { ...deps, strings: new StringInterner() };
  }

  /**
   * Makes `job`'s loops match `targets` (by key): starts loops for new keys, stops those whose key
   * vanished with stale markers for all their series, keeps the others running. When `options` is a
   * different object than the job's current one, every loop is replaced by one with the new options,
   * handing over its last series so that only series that change get stale markers.
   */
  sync(job: string, targets: readonly ResolvedTarget[], options: ScrapeOptions): Promise<void> {
    return this.#enqueue(() => this.#sync(job, targets, options));
  }

  /** Adds a built-in collector as a target of its own job (key `collector/<job>/<instance>`). */
  addCollector(spec: CollectorSpec): TargetLoop {
    const loop = this.#collectorLoop(spec);
    this.#jobOf(spec.job, spec.options).loops.set(loop.target.key, loop);
    this.#startIfRunning(loop);
    return loop;
  }

  /**
   * Replaces the collector of `spec.job`/`spec.instance` with one of new settings (interval, labels,
   * options), handing over its series as {@link sync} does for a job whose options changed; adds it
   * when absent.
   */
  updateCollector(spec: CollectorSpec): Promise<void> {
    return this.#enqueue(async () => {
      const loop = this.#collectorLoop(spec);
      const j = this.#jobOf(spec.job, spec.options);
      j.options = spec.options;
      const old = j.loops.get(loop.target.key);
      if (old !== undefined) {
        await old.stop();
        loop.inherit(old.handOver(), old.hasReported);
      }
      j.loops.set(loop.target.key, loop);
      this.#startIfRunning(loop);
    });
  }

  /**
   * Removes `job`: every loop stops and its series get stale markers, as for targets that vanished
   * from discovery. Nothing happens for an unknown job.
   */
  drop(job: string): Promise<void> {
    return this.#enqueue(async () => {
      const j = this.#jobs.get(job);
      if (j === undefined) return;
      this.#jobs.delete(job);
      await Promise.all([...j.loops.values()].map((l) => l.stop({ markStale: true })));
    });
  }

  /**
   * Stops every loop without stale markers and keeps them, with what they know of their series,
   * until {@link resume}; loops added meanwhile wait too. Idempotent.
   */
  pause(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#paused) return;
      this.#paused = true;
      await Promise.all(this.loops().map((l) => l.stop()));
    });
  }

  /** Starts every loop again after {@link pause}, each at its own phase. Idempotent. */
  resume(): Promise<void> {
    return this.#enqueue(async () => {
      if (!this.#paused) return;
      this.#paused = false;
      for (const l of this.loops()) this.#startIfRunning(l);
    });
  }

  /** Whether the pool is paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Every running loop, optionally of one job. */
  loops(job?: string): TargetLoop[] {
    const jobs = job === undefined ? [...this.#jobs.values()] : [this.#jobs.get(job)].filter((j) => j);
    return jobs.flatMap((j) => [...j!.loops.values()]);
  }

  /** Scrapes every target once now (tests, and the demo's first data point); nothing while paused. */
  async scrapeAll(): Promise<ScrapeReport[]> {
    if (this.#paused) return [];
    return Promise.all(this.loops().map((l) => l.scrapeOnce()));
  }

  /** Stops every loop without stale markers (agent shutdown: Prometheus does not stale then). */
  stop(): Promise<void> {
    return this.#enqueue(async () => {
      await Promise.all(this.loops().map((l) => l.stop()));
      this.#jobs.clear();
    });
  }

  async #sync(job: string, targets: readonly ResolvedTarget[], options: ScrapeOptions): Promise<void> {
    const j = this.#jobOf(job, options);
    const wanted = new Map(targets.map((t) => [t.key, t]));
    const stopping: Promise<void>[] = [];
    for (const [key, loop] of j.loops) {
      if (wanted.has(key)) continue;
      j.loops.delete(key);
      stopping.push(loop.stop({ markStale: true }));
    }
    if (j.options !== options) {
      j.options = options;
      for (const [key, old] of j.loops) {
        await old.stop();
        const loop = this.#newLoop(wanted.get(key)!, options);
        loop.inherit(old.handOver(), old.hasReported);
        j.loops.set(key, loop);
      }
    }
    for (const [key, t] of wanted) if (!j.loops.has(key)) j.loops.set(key, this.#newLoop(t, options));
    await Promise.all(stopping);
    if (targets.length === 0 && j.loops.size === 0) this.#jobs.delete(job);
  }

  #newLoop(t: ResolvedTarget, options: ScrapeOptions): TargetLoop {
    const target: LoopTarget = {
      key: t.key,
      job: t.job,
      labels: t.labels,
      intervalMs: t.intervalMs,
      timeoutMs: t.timeoutMs,
    };
    const loop = new TargetLoop(target, new HttpScraper(t.url, options), options, this.#deps);
    this.#startIfRunning(loop);
    return loop;
  }

  #collectorLoop(spec: CollectorSpec): TargetLoop {
    const target: LoopTarget = {
      key: `collector/${spec.job}/${spec.instance}`,
      job: spec.job,
      labels: Labels.fromRecord({ ...spec.labels, job: spec.job, instance: spec.instance }),
      intervalMs: spec.intervalMs,
      timeoutMs: spec.timeoutMs,
    };
    return new TargetLoop(target, collectorSource(spec.collector), spec.options, this.#deps);
  }

  #startIfRunning(loop: TargetLoop): void {
    if ((this.#deps.autoStart ?? true) && !this.#paused) loop.start();
  }

  #jobOf(job: string, options: ScrapeOptions): Job {
    let j = this.#jobs.get(job);
    if (j === undefined) {
      j = { options, loops: new Map() };
      this.#jobs.set(job, j);
    }
    return j;
  }

  #enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}
