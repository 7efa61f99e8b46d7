/**
 * The scrape jobs an agent runs: those of its file and its built-in ones, plus the jobs of the
 * configuration the seed pushes (docs/api/agent-protocol.md, `GET /agent/v1/config`), whose
 * `scrape_interval`, `scrape_timeout` and `external_labels` override the file's.
 */
import type { AgentConfig } from "../../server/config.js";
import {
  type CompleteScrapeConfig,
  completeScrapeConfig,
  type ScrapeConfig,
  type ScrapeGlobals,
  scrapeConfigSchema,
} from "../config/scrape-config.js";
import { defaultKubernetesJobs } from "../discovery/kubernetes/default-jobs.js";
import { jobScrapeOptions } from "../job-options.js";
import type { ScrapeOptions } from "../scrape/index.js";
import type { RemoteScrapeSettings } from "./protocol.js";

/** The job of the agent's own /metrics, scraped when `self_scrape` is on. */
export const SELF_JOB = "mirador-agent";
/** The job of the built-in host collector, named as node-exporter's job usually is. */
export const HOST_JOB = "node";

/** What the agent's file and built-ins contribute. */
export interface LocalJobs {
  readonly cluster: string;
  /** The file's `scrape_configs`, then the self-scrape and the default Kubernetes jobs; names unique. */
  readonly jobs: readonly ScrapeConfig[];
  readonly globals: ScrapeGlobals;
  readonly externalLabels: Readonly<Record<string, string>>;
  /** Whether the host collector runs (as job {@link HOST_JOB}). */
  readonly hostCollector: boolean;
}

/** A settled job set: what the target manager, the scrape pool and the host collector run. */
export interface JobSet {
  readonly globals: ScrapeGlobals;
  readonly externalLabels: Readonly<Record<string, string>>;
  /** Jobs found by service discovery, local ones first. */
  readonly jobs: readonly CompleteScrapeConfig[];
  /** The names among `jobs` that came from the seed. */
  readonly remoteJobs: ReadonlySet<string>;
  /**
   * Scrape options per job name (the host job included). A job whose settings are the same as in
   * the set it was built from keeps that set's options object: the scrape pool keeps its loops.
   */
  readonly options: ReadonlyMap<string, ScrapeOptions>;
  /** The host collector's job, settled, when it runs. */
  readonly host: CompleteScrapeConfig | undefined;
  /** Per job name: its settled configuration and labels as JSON (what decides "unchanged"). */
  readonly fingerprints: ReadonlyMap<string, string>;
}

/**
 * The local part of `cfg`; the self-scrape job targets `selfPort`. Throws when a job of the file
 * is named like a built-in one, naming both ways out.
 */
export function localJobs(cfg: AgentConfig, selfPort: number): LocalJobs {
  const jobs: ScrapeConfig[] = [...cfg.scrape_configs];
  if (cfg.self_scrape) {
    jobs.push(
      scrapeConfigSchema.parse({
        job_name: SELF_JOB,
        static_configs: [{ targets: [`${cfg.http_listen_address}:${selfPort}`] }],
      }),
    );
  }
  if (cfg.kubernetes.default_jobs) {
    const host = cfg.kubernetes.api_server_host;
    for (const job of defaultKubernetesJobs(host === undefined ? {} : { apiServerHost: host }))
      jobs.push(scrapeConfigSchema.parse(job));
  }
  // The host collector scrapes as job "node", in the same pool as the jobs.
  const names = new Set<string>(cfg.host_collector.enabled ? [HOST_JOB] : []);
  for (const j of jobs) {
    if (names.has(j.job_name))
      throw new Error(
        `scrape job ${JSON.stringify(j.job_name)} is defined twice; built-in jobs are "${SELF_JOB}" (self_scrape) and "${HOST_JOB}" (host_collector.enabled): rename yours or turn the built-in one off`,
      );
    names.add(j.job_name);
  }
  return {
    cluster: cfg.cluster,
    jobs,
    globals: { scrape_interval: cfg.scrape_interval, scrape_timeout: cfg.scrape_timeout },
    externalLabels: cfg.external_labels,
    hostCollector: cfg.host_collector.enabled,
  };
}

/**
 * Settles the jobs of `local` and `remote` (absent: the file's alone). Throws an Error saying why
 * when the remote part cannot run: a job named like a local or built-in one, a timeout above its
 * interval, an option the scraper does not support. Options objects of `previous` are reused for
 * jobs whose fingerprint did not change.
 */
export function buildJobSet(
  local: LocalJobs,
  remote: RemoteScrapeSettings | undefined,
  previous: JobSet | undefined,
): JobSet {
  const globals: ScrapeGlobals = {
    scrape_interval: remote?.scrapeInterval ?? local.globals.scrape_interval,
    scrape_timeout: remote?.scrapeTimeout ?? local.globals.scrape_timeout,
  };
  const externalLabels = remote?.externalLabels ?? local.externalLabels;
  const localNames = new Set(local.jobs.map((j) => j.job_name));
  if (local.hostCollector) localNames.add(HOST_JOB);
  const remoteJobs = new Set<string>();
  for (const j of remote?.scrapeConfigs ?? []) {
    if (localNames.has(j.job_name))
      throw new Error(
        `job ${JSON.stringify(j.job_name)} of the seed's configuration has the name of a job of the agent's own configuration${j.job_name === HOST_JOB || j.job_name === SELF_JOB ? " (a built-in job)" : ""}; rename it in the cluster's configuration or in the agent's file`,
      );
    remoteJobs.add(j.job_name);
  }
  const settle = (j: ScrapeConfig) => completeScrapeConfig(j, globals);
  const jobs = [...local.jobs, ...(remote?.scrapeConfigs ?? [])].map(settle);
  const host = local.hostCollector ? settle(scrapeConfigSchema.parse({ job_name: HOST_JOB })) : undefined;
  const labels = { cluster: local.cluster, external: externalLabels };
  const options = new Map<string, ScrapeOptions>();
  const fingerprints = new Map<string, string>();
  for (const job of host === undefined ? jobs : [...jobs, host]) {
    const name = job.job_name;
    const fingerprint = JSON.stringify([job, externalLabels]);
    const kept = previous?.fingerprints.get(name) === fingerprint ? previous.options.get(name) : undefined;
    options.set(name, kept ?? jobScrapeOptions(job, labels));
    fingerprints.set(name, fingerprint);
  }
  return { globals, externalLabels, jobs, remoteJobs, options, host, fingerprints };
}
