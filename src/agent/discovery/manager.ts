import { type Logger, nopLogger } from "../../lib/log/logger.js";
import type { CompleteScrapeConfig } from "../config/scrape-config.js";
import type { FileSdConfig, StaticConfig } from "../config/sd-configs.js";
import { FileDiscoverer } from "./file.js";
import type { KubernetesSdConfig } from "./kubernetes/config.js";
import { populateLabels, type TargetJob, targetJob } from "./populate-labels.js";
import { StaticDiscoverer } from "./static.js";
import type { Discoverer, ResolvedTarget, TargetGroup } from "./types.js";

/** What a discoverer factory is told besides its configuration. */
export interface DiscoveryContext {
  /** The scrape job the discoverer serves. */
  readonly job: string;
  /** A logger with the job's name attached. */
  readonly logger: Logger;
  /** Relative file paths are taken from here (the configuration file's directory). */
  readonly baseDir: string | undefined;
}

/** Builds a discoverer from one configuration entry. */
export type DiscovererFactory<C> = (cfg: C, ctx: DiscoveryContext) => Discoverer;

/**
 * How the manager builds discoverers, per kind of service discovery. `kubernetes` is optional so
 * that the manager does not depend on the Kubernetes client; without it, `kubernetes_sd_configs`
 * entries are logged and ignored.
 */
export interface DiscovererFactories {
  /** All `static_configs` entries of a job, as one discoverer. */
  readonly static: DiscovererFactory<readonly StaticConfig[]>;
  /** One `file_sd_configs` entry. */
  readonly file: DiscovererFactory<FileSdConfig>;
  /** One `kubernetes_sd_configs` entry. */
  readonly kubernetes?: DiscovererFactory<KubernetesSdConfig>;
}

/** The static and file discoverers of this folder. */
export const BUILTIN_DISCOVERER_FACTORIES: DiscovererFactories = {
  static: (configs) => new StaticDiscoverer(configs),
  file: (cfg, ctx) =>
    new FileDiscoverer({
      files: cfg.files,
      refreshIntervalMs: cfg.refresh_interval,
      logger: ctx.logger,
      ...(ctx.baseDir === undefined ? {} : { baseDir: ctx.baseDir }),
    }),
};

/**
 * How a job's discovered targets fared at its last recompute. `active` counts distinct targets
 * to scrape; `dropped` the discovered targets `relabel_configs` dropped (Prometheus's
 * `prometheus_sd_discovered_targets` minus active, shown on its targets page as dropped);
 * `invalid` those refused (no address, a bad interval…), each reason logged once when it appears.
 */
export interface JobTargetCounts {
  readonly active: number;
  readonly dropped: number;
  readonly invalid: number;
}

/** Options of {@link TargetManager}. */
export interface TargetManagerOptions {
  /** The scrape jobs, interval and timeout settled (`completeScrapeConfig`); names unique. */
  readonly jobs: readonly CompleteScrapeConfig[];
  /**
   * Called with a job's complete list of targets, in discovery order, without duplicates: once
   * for every job when `start` has started the discoverers, then whenever the list changes (by
   * key); `setJobs` adds one call per job it changes, adds or removes (removed: an empty list). The receiver diffs by `key`: a key it knows is the same target (keep its scrape loop),
   * a key it lacks is new, a key no longer listed is gone. Called synchronously from the
   * manager's timers or a discoverer's update; never after `stop` resolves. An exception thrown
   * here is logged, not propagated.
   */
  readonly onTargets: (job: string, targets: readonly ResolvedTarget[]) => void;
  /** Replaces the built-in factories (all or some); add `kubernetes` here. */
  readonly factories?: Partial<DiscovererFactories>;
  readonly logger?: Logger;
  /**
   * Least time between two recomputes of one job's targets (ms), so that a discoverer reporting
   * a burst of changes (a rollout) costs one recompute. Default 5 s, Prometheus's discovery
   * update interval.
   */
  readonly updateIntervalMs?: number;
  /** Base directory for relative `file_sd_configs` paths. */
  readonly baseDir?: string;
}

/** Prometheus's discovery update interval: 5 seconds. */
export const DEFAULT_UPDATE_INTERVAL_MS = 5_000;

/** One job's discoverers, their latest groups, and its throttle. */
interface JobState {
  readonly job: TargetJob;
  /** The job's configuration as JSON: a job whose JSON changes is restarted by `setJobs`. */
  readonly fingerprint: string;
  readonly discoverers: Discoverer[];
  /** The latest full list of groups of each discoverer, by its position in `discoverers`. */
  readonly groups: (readonly TargetGroup[])[];
  targets: readonly ResolvedTarget[];
  counts: JobTargetCounts;
  /** Keys of the last list handed to `onTargets`, joined; undefined before the first. */
  emitted: string | undefined;
  /** Reasons of the invalid targets at the last recompute, to log only new ones. */
  reasons: ReadonlySet<string>;
  /** Running from a recompute until `updateIntervalMs` later; updates meanwhile wait for its end. */
  cooldown: NodeJS.Timeout | undefined;
  dirty: boolean;
  /** Replaced or removed by `setJobs`: its discoverers' updates are ignored from then on. */
  closed: boolean;
}

/**
 * Runs service discovery for every scrape job and turns the groups found into scrape targets.
 *
 * Per job: its discoverers (`static_configs` as one, each `file_sd_configs` and
 * `kubernetes_sd_configs` entry as one) report groups; the manager resolves every discovered
 * target with `populateLabels` (Prometheus's `PopulateLabels`: defaults, `relabel_configs`, checks),
 * removes duplicates, and hands the job's list to `onTargets`.
 *
 * Recomputes are throttled per job: the first happens as soon as `start` has started every
 * discoverer (so it sees each one's initial groups), later ones at most once per
 * `updateIntervalMs` — an update arriving during that time is folded into one recompute at its
 * end; an update after a quiet spell is handled at once. (Prometheus ticks every 5 s instead;
 * this keeps its bound on the rate without its delay.)
 *
 * The job set can be replaced while running ({@link setJobs}): only the jobs that changed are
 * restarted.
 *
 * Lifecycle: `start` once, `setJobs` any number of times after it, `stop` once; `stop` stops every
 * discoverer and resolves when no more `onTargets` calls will come.
 */
export class TargetManager {
  readonly #jobs = new Map<string, JobState>();
  readonly #onTargets: TargetManagerOptions["onTargets"];
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #factories: DiscovererFactories;
  readonly #baseDir: string | undefined;
  /** The last `setJobs` (they run one at a time; `stop` waits for it). */
  #setting: Promise<void> = Promise.resolve();
  #started = false;
  #stopped = false;

  constructor(opts: TargetManagerOptions) {
    this.#onTargets = opts.onTargets;
    this.#log = (opts.logger ?? nopLogger).child({ component: "target-manager" });
    this.#intervalMs = opts.updateIntervalMs ?? DEFAULT_UPDATE_INTERVAL_MS;
    this.#factories = { ...BUILTIN_DISCOVERER_FACTORIES, ...opts.factories };
    this.#baseDir = opts.baseDir;
    checkUnique(opts.jobs);
    for (const cfg of opts.jobs) this.#jobs.set(cfg.job_name, this.#newState(cfg));
  }

  /**
   * Starts every discoverer (a discoverer that fails to start is logged and left out), then
   * computes and reports every job's targets once. Resolves after that first report.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error("TargetManager: start called twice");
    await Promise.all([...this.#jobs.values()].map((state) => this.#startDiscoverers(state)));
    if (this.#stopped) return;
    this.#started = true;
    for (const state of this.#jobs.values()) this.#recompute(state);
  }

  /**
   * Replaces the job set (names unique, intervals settled), changing only what differs:
   *
   * - a job no longer listed has its discoverers stopped and is reported once with an empty list
   *   (before this resolves), then never again;
   * - a job whose configuration changed (compared as JSON) gets new discoverers in place of the old
   *   ones, and is reported once they started, even when its target keys stayed the same (the
   *   receiver applies the new settings);
   * - a new job is started and reported like a job at `start`;
   * - an unchanged job keeps its discoverers, targets and throttle: no report, no gap.
   *
   * Resolves after the reports of new and changed jobs. Calls run one after another; only after
   * `start` resolved. Rejects when a name is given twice (nothing is changed then).
   */
  setJobs(jobs: readonly CompleteScrapeConfig[]): Promise<void> {
    if (!this.#started) return Promise.reject(new Error("TargetManager: setJobs before start"));
    try {
      checkUnique(jobs);
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.#setting.then(() => this.#setJobs(jobs));
    this.#setting = run.catch(() => {});
    return run;
  }

  /** Stops every discoverer and timer (after a `setJobs` in progress). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#setting;
    await Promise.all([...this.#jobs.values()].map((state) => this.#close(state)));
  }

  async #setJobs(jobs: readonly CompleteScrapeConfig[]): Promise<void> {
    if (this.#stopped) return;
    const wanted = new Map(jobs.map((j) => [j.job_name, j]));
    const old: JobState[] = [];
    for (const [name, state] of this.#jobs) {
      const cfg = wanted.get(name);
      if (cfg !== undefined && JSON.stringify(cfg) === state.fingerprint) continue;
      old.push(state);
      this.#jobs.delete(name);
    }
    const fresh: JobState[] = [];
    for (const cfg of jobs) {
      if (this.#jobs.has(cfg.job_name)) continue;
      const state = this.#newState(cfg);
      this.#jobs.set(cfg.job_name, state);
      fresh.push(state);
    }
    const stopping = old.map((state) => this.#close(state));
    for (const state of old) if (!wanted.has(state.job.name)) this.#emit(state.job.name, []);
    await Promise.all(stopping);
    if (old.length > 0 || fresh.length > 0)
      this.#log.info("scrape jobs changed", {
        removed: old.filter((s) => !wanted.has(s.job.name)).map((s) => s.job.name),
        changed: fresh.filter((s) => old.some((o) => o.job.name === s.job.name)).map((s) => s.job.name),
        added: fresh.filter((s) => !old.some((o) => o.job.name === s.job.name)).map((s) => s.job.name),
      });
    await Promise.all(fresh.map((state) => this.#startDiscoverers(state)));
    if (this.#stopped) return;
    for (const state of fresh) if (!state.closed) this.#recompute(state);
  }

  #newState(cfg: CompleteScrapeConfig): JobState {
    const ctx: DiscoveryContext = {
      job: cfg.job_name,
      logger: this.#log.child({ job: cfg.job_name }),
      baseDir: this.#baseDir,
    };
    return {
      job: targetJob(cfg),
      fingerprint: JSON.stringify(cfg),
      discoverers: discoverersOf(cfg, this.#factories, ctx),
      groups: [],
      targets: [],
      counts: { active: 0, dropped: 0, invalid: 0 },
      emitted: undefined,
      reasons: new Set(),
      cooldown: undefined,
      dirty: false,
      closed: false,
    };
  }

  /** Starts a job's discoverers; one that fails to start is logged and left out. */
  async #startDiscoverers(state: JobState): Promise<void> {
    const name = state.job.name;
    await Promise.all(
      state.discoverers.map((d, slot) => {
        state.groups[slot] = [];
        const onUpdate = (groups: readonly TargetGroup[]) => {
          if (this.#stopped || state.closed) return;
          state.groups[slot] = groups;
          this.#request(state);
        };
        return d.start(onUpdate).catch((err: unknown) => {
          this.#log.error("service discovery failed to start", { job: name, err });
        });
      }),
    );
  }

  /** Stops a job's timer and discoverers; its updates are ignored from now on. */
  async #close(state: JobState): Promise<void> {
    state.closed = true;
    if (state.cooldown !== undefined) clearTimeout(state.cooldown);
    state.cooldown = undefined;
    const name = state.job.name;
    await Promise.all(
      state.discoverers.map((d) =>
        d
          .stop()
          .catch((err: unknown) => this.#log.warn("service discovery failed to stop", { job: name, err })),
      ),
    );
  }

  /** A job's targets as last computed (empty before the first recompute or for an unknown job). */
  targets(job: string): readonly ResolvedTarget[] {
    return this.#jobs.get(job)?.targets ?? [];
  }

  /** Active, dropped and invalid target counts per job, as of each job's last recompute. */
  counts(): ReadonlyMap<string, JobTargetCounts> {
    const out = new Map<string, JobTargetCounts>();
    for (const [name, state] of this.#jobs) out.set(name, state.counts);
    return out;
  }

  #request(state: JobState): void {
    if (!this.#started || this.#stopped || state.closed) return;
    if (state.cooldown !== undefined) {
      state.dirty = true;
      return;
    }
    this.#recompute(state);
  }

  #recompute(state: JobState): void {
    state.dirty = false;
    this.#resolve(state);
    state.cooldown = setTimeout(() => {
      state.cooldown = undefined;
      if (state.dirty && !this.#stopped && !state.closed) this.#recompute(state);
    }, this.#intervalMs);
    state.cooldown.unref?.();
  }

  /** Resolves every discovered target of the job and reports the list if it changed. */
  #resolve(state: JobState): void {
    const { job } = state;
    const byKey = new Map<string, ResolvedTarget>();
    let dropped = 0;
    let invalid = 0;
    const reasons = new Set<string>();
    for (const groups of state.groups) {
      for (const group of groups) {
        for (const t of group.targets) {
          const r = populateLabels(job, t, group.labels);
          if (r.kind === "dropped") dropped++;
          else if (r.kind === "invalid") {
            invalid++;
            const line = `${r.reason} (source ${group.source})`;
            if (!reasons.has(line) && !state.reasons.has(line)) {
              this.#log.warn("discovered target refused", {
                job: job.name,
                source: group.source,
                reason: r.reason,
                labels: r.discovered.toString(),
              });
            }
            reasons.add(line);
          } else if (!byKey.has(r.target.key)) byKey.set(r.target.key, r.target);
        }
      }
    }
    state.reasons = reasons;
    state.targets = [...byKey.values()];
    state.counts = { active: byKey.size, dropped, invalid };
    const fingerprint = [...byKey.keys()].join(",");
    if (fingerprint === state.emitted) return;
    state.emitted = fingerprint;
    this.#emit(job.name, state.targets);
  }

  #emit(job: string, targets: readonly ResolvedTarget[]): void {
    try {
      this.#onTargets(job, targets);
    } catch (err) {
      this.#log.error("target update handler failed", { job, err });
    }
  }
}

function checkUnique(jobs: readonly CompleteScrapeConfig[]): void {
  const names = new Set<string>();
  for (const cfg of jobs) {
    if (names.has(cfg.job_name))
      throw new Error(`TargetManager: job ${JSON.stringify(cfg.job_name)} given twice`);
    names.add(cfg.job_name);
  }
}

/** The discoverers of one job, in a fixed order: static, then file, then Kubernetes entries. */
function discoverersOf(
  cfg: CompleteScrapeConfig,
  factories: DiscovererFactories,
  ctx: DiscoveryContext,
): Discoverer[] {
  const out: Discoverer[] = [];
  if (cfg.static_configs.length > 0) out.push(factories.static(cfg.static_configs, ctx));
  for (const f of cfg.file_sd_configs) out.push(factories.file(f, ctx));
  if (cfg.kubernetes_sd_configs.length > 0) {
    const kubernetes = factories.kubernetes;
    if (kubernetes === undefined) {
      ctx.logger.warn("kubernetes_sd_configs ignored: no Kubernetes discoverer is available in this process");
    } else {
      for (const k of cfg.kubernetes_sd_configs) out.push(kubernetes(k, ctx));
    }
  }
  return out;
}
