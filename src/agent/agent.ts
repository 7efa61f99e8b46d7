import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { Counter, Gauge, Registry } from "prom-client";
import type { Logger } from "../lib/log/logger.js";
import { registerProcessMetrics } from "../lib/self-metrics/process-metrics.js";
import type { AgentConfig } from "../server/config.js";
import { sendText } from "../server/http/reply.js";
import { Router } from "../server/http/router.js";
import { HttpServer } from "../server/http/server.js";
import { VERSION } from "../server/version.js";
import {
  type CompleteScrapeConfig,
  completeScrapeConfig,
  type ScrapeConfig,
  scrapeConfigSchema,
} from "./config/scrape-config.js";
import { defaultKubernetesJobs } from "./discovery/kubernetes/default-jobs.js";
import { lazyDiscoverer } from "./discovery/lazy.js";
import { TargetManager } from "./discovery/manager.js";
import { HostCollector } from "./host/index.js";
import { jobScrapeOptions } from "./job-options.js";
import { RemoteWriteQueue } from "./remote-write/index.js";
import type { SampleBatch } from "./sample-batch.js";
import { type ScrapeOptions, ScrapePool, type ScrapeReport } from "./scrape/index.js";
import type { LoopTarget } from "./scrape/target-loop.js";

/** PEM material of the agent's mTLS identity. */
export interface AgentTls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** The job of the agent's own /metrics, scraped when `self_scrape` is on. */
const SELF_JOB = "mirador-agent";
/** The job of the built-in host collector, named as node-exporter's job usually is. */
const HOST_JOB = "node";

/**
 * The agent of one user cluster. Discovery (static, file, Kubernetes) feeds a {@link TargetManager}
 * whose targets a {@link ScrapePool} scrapes with Prometheus's semantics; every scrape is one batch
 * into the {@link RemoteWriteQueue}, a disk-backed queue that delivers to the seed's gateway as
 * remote-write over mutual TLS, so nothing scraped is lost to a seed outage or an agent restart.
 * Every series carries `cluster="<id>"`. Its own HTTP port serves /-/healthy, /-/ready and /metrics.
 */
export class Agent {
  readonly metrics = new Registry();
  readonly #http: HttpServer;
  readonly #tls: AgentTls | undefined;
  #jobs: readonly CompleteScrapeConfig[];
  readonly #options = new Map<string, ScrapeOptions>();
  readonly #targetUp: Gauge<"job" | "instance">;
  readonly #scraped: Counter;
  readonly #targetsActive: Gauge<"job">;
  #queue: RemoteWriteQueue | undefined;
  #pool: ScrapePool | undefined;
  #manager: TargetManager | undefined;
  #port = 0;
  #started = false;

  constructor(
    readonly config: AgentConfig,
    private readonly logger: Logger,
    opts: { tls?: AgentTls } = {},
  ) {
    this.logger = logger.child({ agent: config.cluster });
    this.#tls = opts.tls ?? (config.tls ? readTls(config.tls) : undefined);
    // Settled now so that a bad configuration fails before anything starts; again in start(),
    // once the self-scrape's port is known.
    this.#jobs = this.#settleJobs(config.http_port);
    registerProcessMetrics(this.metrics);
    this.#targetUp = new Gauge({
      name: "mirador_agent_target_up",
      help: "Whether the last scrape of a target succeeded.",
      labelNames: ["job", "instance"],
      registers: [this.metrics],
    });
    this.#scraped = new Counter({
      name: "mirador_agent_samples_scraped_total",
      help: "Samples produced by scrapes (scraped, synthetic and staleness markers), all queued for delivery.",
      registers: [this.metrics],
    });
    this.#targetsActive = new Gauge({
      name: "mirador_agent_targets",
      help: "Targets the agent scrapes, per job.",
      labelNames: ["job"],
      registers: [this.metrics],
    });
    const router = new Router();
    router.on("GET", "/-/healthy", (r) => sendText(r.res, 200, "Mirador agent is Healthy.\n"));
    router.on("GET", "/-/ready", (r) =>
      sendText(
        r.res,
        this.#started ? 200 : 503,
        this.#started ? "Mirador agent is Ready.\n" : "Mirador agent is not ready.\n",
      ),
    );
    router.on("GET", "/metrics", async (r) => {
      r.res.writeHead(200, { "content-type": this.metrics.contentType });
      r.res.end(await this.metrics.metrics());
    });
    this.#http = new HttpServer({ name: "agent", router, logger: this.logger, metrics: this.metrics });
  }

  /** The agent's bound HTTP port. */
  get httpPort(): number {
    return this.#port;
  }

  /** Samples scraped but not yet acknowledged by the seed. */
  get queuedSamples(): number {
    return this.#queue?.pendingSamples ?? 0;
  }

  /**
   * Listens, opens the disk queue (whatever an earlier run left undelivered is sent first), then
   * starts discovery and scraping.
   */
  async start(): Promise<void> {
    const cfg = this.config;
    this.#port = await this.#http.listen(cfg.http_listen_address, cfg.http_port);
    this.#jobs = this.#settleJobs(this.#port);
    const rw = cfg.remote_write;
    const queue = await RemoteWriteQueue.open(
      {
        name: "seed",
        url: cfg.remote_write_url,
        dir: join(cfg.data_dir, "queue", "metrics"),
        ...(this.#tls && { tls: this.#tls }),
        protobufMessage: rw.protobuf_message,
        timeoutMs: rw.remote_timeout,
        headers: rw.headers,
        maxQueueBytes: rw.max_queue_size,
        syncIntervalMs: rw.sync_interval,
        ...(rw.queue_config.capacity !== undefined && { capacity: rw.queue_config.capacity }),
        ...(rw.queue_config.min_shards !== undefined && { minShards: rw.queue_config.min_shards }),
        ...(rw.queue_config.max_shards !== undefined && { maxShards: rw.queue_config.max_shards }),
        ...(rw.queue_config.max_samples_per_send !== undefined && {
          maxSamplesPerSend: rw.queue_config.max_samples_per_send,
        }),
        ...(rw.queue_config.batch_send_deadline !== undefined && {
          batchSendDeadlineMs: rw.queue_config.batch_send_deadline,
        }),
        ...(rw.queue_config.min_backoff !== undefined && { minBackoffMs: rw.queue_config.min_backoff }),
        ...(rw.queue_config.max_backoff !== undefined && { maxBackoffMs: rw.queue_config.max_backoff }),
        userAgent: `mirador-agent/${VERSION}`,
      },
      { logger: this.logger, metrics: this.metrics },
    );
    queue.start();
    this.#queue = queue;
    const pool = new ScrapePool({
      identity: cfg.cluster,
      alignmentMs: cfg.scrape_alignment,
      sink: (batch: SampleBatch) => {
        this.#scraped.inc(batch.length);
        queue.append(batch);
      },
      onReport: (target, report) => this.#report(target, report),
    });
    this.#pool = pool;
    if (cfg.host_collector.enabled) {
      const collector = new HostCollector({
        procPath: cfg.host_collector.proc_path,
        sysPath: cfg.host_collector.sys_path,
      });
      const labels = { cluster: cfg.cluster, external: cfg.external_labels };
      const node = completeScrapeConfig(scrapeConfigSchema.parse({ job_name: HOST_JOB }), this.#globals());
      pool.addCollector({
        job: HOST_JOB,
        instance: hostname(),
        intervalMs: node.scrape_interval,
        timeoutMs: node.scrape_timeout,
        collector,
        options: jobScrapeOptions(node, labels),
      });
    }
    this.#manager = new TargetManager({
      jobs: this.#jobs,
      logger: this.logger,
      factories: {
        kubernetes: (sd, ctx) =>
          lazyDiscoverer(async () => {
            const { KubernetesDiscoverer } = await import("./discovery/kubernetes/discoverer.js");
            return new KubernetesDiscoverer(sd, { logger: ctx.logger });
          }),
      },
      onTargets: (job, targets) => {
        this.#targetsActive.set({ job }, targets.length);
        pool
          .sync(job, targets, this.#options.get(job)!)
          .catch((err: unknown) => this.logger.error("could not apply the job's targets", { job, err }));
      },
    });
    await this.#manager.start();
    this.#started = true;
    this.logger.info("agent started", {
      jobs: this.#jobs.length,
      gateway: cfg.remote_write_url,
      http: `http://${cfg.http_listen_address}:${this.#port}`,
    });
  }

  /** Scrapes every target once now (tests and the demo's first data point). */
  async scrapeAll(): Promise<void> {
    await this.#pool?.scrapeAll();
  }

  /**
   * Stops discovery and scraping, gives the queue `graceMs` to deliver what it holds (the rest stays
   * on disk for the next start), closes the port.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.#started = false;
    await this.#manager?.stop();
    await this.#pool?.stop();
    await this.#queue?.stop(graceMs);
    await this.#http.close(1_000);
  }

  #report(target: LoopTarget, r: ScrapeReport): void {
    const job = target.labels.get("job");
    const instance = target.labels.get("instance");
    this.#targetUp.set({ job, instance }, r.up ? 1 : 0);
    if (!r.up) this.logger.warn("scrape failed", { job, instance, err: r.error });
  }

  #globals(): { scrape_interval: number; scrape_timeout: number } {
    return { scrape_interval: this.config.scrape_interval, scrape_timeout: this.config.scrape_timeout };
  }

  /**
   * The configured jobs, the self-scrape (at `selfPort`) and the default Kubernetes jobs, intervals
   * settled, each with its scrape options.
   */
  #settleJobs(selfPort: number): CompleteScrapeConfig[] {
    const cfg = this.config;
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
    const settled = jobs.map((j) => completeScrapeConfig(j, this.#globals()));
    const labels = { cluster: cfg.cluster, external: cfg.external_labels };
    this.#options.clear();
    for (const job of settled) this.#options.set(job.job_name, jobScrapeOptions(job, labels));
    return settled;
  }
}

function readTls(files: { cert_file: string; key_file: string; ca_file: string }): AgentTls {
  const read = (key: "cert_file" | "key_file" | "ca_file") => {
    const path = files[key];
    try {
      return readFileSync(path, "utf8");
    } catch (err) {
      throw new Error(`cannot read tls.${key} ${path}: ${(err as Error).message}`);
    }
  };
  return { cert: read("cert_file"), key: read("key_file"), ca: read("ca_file") };
}
