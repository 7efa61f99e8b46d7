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
import { readConfigCache } from "./control/config-cache.js";
import { ControlChannel } from "./control/control-channel.js";
import { ControlClient } from "./control/control-client.js";
import { ControlMetrics } from "./control/control-metrics.js";
import { ErrorLog } from "./control/error-log.js";
import { chooseIdentity, describeIdentity, type Identity } from "./control/identity.js";
import { buildJobSet, HOST_JOB, type JobSet, type LocalJobs, localJobs } from "./control/job-set.js";
import {
  type Flows,
  parseScrapeSettings,
  type RemoteConfig,
  type RemoteScrapeSettings,
} from "./control/protocol.js";
import { lazyDiscoverer } from "./discovery/lazy.js";
import { TargetManager } from "./discovery/manager.js";
import type { ResolvedTarget } from "./discovery/types.js";
import { HostCollector } from "./host/index.js";
import type { LogCollector } from "./logs/log-collector.js";
import { RemoteWriteQueue } from "./remote-write/index.js";
import type { SampleBatch } from "./sample-batch.js";
import { type CollectorSpec, ScrapePool, type ScrapeReport } from "./scrape/index.js";
import type { LoopTarget } from "./scrape/target-loop.js";

/** PEM material of the agent's mTLS identity. */
export interface AgentTls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** Options of {@link Agent} besides its configuration. */
export interface AgentOptions {
  /** The identity to use instead of reading `config.tls`'s files (a renewed pair in `<data_dir>/tls/` still wins when newer). */
  readonly tls?: AgentTls;
}

/**
 * The agent of one user cluster. Discovery (static, file, Kubernetes) feeds a {@link TargetManager}
 * whose targets a {@link ScrapePool} scrapes with Prometheus's semantics; every scrape is one batch
 * into the {@link RemoteWriteQueue}, a disk-backed queue that delivers to the seed's gateway as
 * remote-write over mutual TLS, so nothing scraped is lost to a seed outage or an agent restart.
 * Every series carries `cluster="<id>"`. Its own HTTP port serves /-/healthy, /-/ready and /metrics.
 *
 * With the control channel (`control`, docs/api/agent-protocol.md) the agent also runs the
 * configuration the seed pushes, without a restart: its jobs are added to the file's, its settings
 * override the file's, its flows switch sending off and on; it reports in heartbeats and renews its
 * certificate before it ends. The last version applied is cached and run at the next start.
 */
export class Agent {
  readonly metrics = new Registry();
  readonly #http: HttpServer;
  readonly #tls: AgentTls | undefined;
  #local: LocalJobs;
  #jobSet: JobSet;
  readonly #targetUp: Gauge<"job" | "instance">;
  readonly #scraped: Counter;
  readonly #targetsActive: Gauge<"job">;
  readonly #control: ControlMetrics;
  readonly #errors = new ErrorLog();
  readonly #hostCollector: HostCollector | undefined;
  #queue: RemoteWriteQueue | undefined;
  #logs: LogCollector | undefined;
  #logsFlow = true;
  #pool: ScrapePool | undefined;
  #manager: TargetManager | undefined;
  #channel: ControlChannel | undefined;
  #identity: Identity | undefined;
  /** The version whose configuration runs (from the cache until the channel takes over). */
  #appliedVersion: number | undefined;
  #metricsFlow = true;
  /** Job changes run one at a time. */
  #applying: Promise<void> = Promise.resolve();
  #port = 0;
  #started = false;
  #stopped: Promise<void> | undefined;

  constructor(
    readonly config: AgentConfig,
    private readonly logger: Logger,
    opts: AgentOptions = {},
  ) {
    this.logger = logger.child({ agent: config.cluster });
    this.#tls = opts.tls ?? (config.tls ? readTls(config.tls) : undefined);
    // Settled now so that a bad configuration fails before anything starts; again in start(),
    // once the self-scrape's port is known.
    this.#local = localJobs(config, config.http_port);
    this.#jobSet = buildJobSet(this.#local, undefined, undefined);
    this.#hostCollector = config.host_collector.enabled
      ? new HostCollector({
          procPath: config.host_collector.proc_path,
          sysPath: config.host_collector.sys_path,
        })
      : undefined;
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
    this.#control = new ControlMetrics(this.metrics);
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

  /** The version of the seed's configuration the agent runs (undefined: its file alone). */
  get appliedConfigVersion(): number | undefined {
    return this.#channel?.appliedVersion ?? this.#appliedVersion;
  }

  /** Whether the metrics flow is on (the seed can switch it off: then nothing is scraped or kept). */
  get metricsFlowEnabled(): boolean {
    return this.#metricsFlow;
  }

  /** Serial number (lowercase hex) of the client certificate in use, when the agent has one. */
  get certificateSerial(): string | undefined {
    return (this.#channel?.identity ?? this.#identity)?.serial;
  }

  /** Names of the jobs found by discovery that run now: the file's, built-in and the seed's. */
  get jobNames(): readonly string[] {
    return this.#jobSet.jobs.map((j) => j.job_name);
  }

  /** Problems the heartbeat reports, newest first. */
  get errors(): readonly string[] {
    return this.#errors.list();
  }

  /**
   * Listens, runs the cached configuration from the seed (if any), opens the disk queue (whatever
   * an earlier run left undelivered is sent first), starts discovery and scraping, then the control
   * channel.
   */
  async start(): Promise<void> {
    const cfg = this.config;
    this.#port = await this.#http.listen(cfg.http_listen_address, cfg.http_port);
    this.#local = localJobs(cfg, this.#port);
    this.#jobSet = buildJobSet(this.#local, undefined, undefined);
    const control = controlSettings(cfg);
    const cached = control === undefined ? undefined : await this.#cachedConfig();
    if (this.#tls !== undefined)
      this.#identity = await chooseIdentity(this.#tls, cfg.data_dir, cfg.cluster, Date.now(), (msg, f) =>
        this.logger.warn(msg, f),
      );
    if (cached !== undefined) this.#setFlows(cached.flows);
    const queue = await this.#openQueue();
    queue.setFlowEnabled(this.#metricsFlow);
    queue.start();
    this.#queue = queue;
    if (cfg.logs.enabled) await this.#startLogs();
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
    if (!this.#metricsFlow) await pool.pause();
    const host = this.#hostSpec(this.#jobSet);
    if (host !== undefined) pool.addCollector(host);
    this.#manager = new TargetManager({
      jobs: this.#jobSet.jobs,
      logger: this.logger,
      factories: {
        kubernetes: (sd, ctx) =>
          lazyDiscoverer(async () => {
            const { KubernetesDiscoverer } = await import("./discovery/kubernetes/discoverer.js");
            return new KubernetesDiscoverer(sd, { logger: ctx.logger });
          }),
      },
      onTargets: (job, targets) => this.#onTargets(job, targets),
    });
    await this.#manager.start();
    if (control !== undefined) {
      this.#channel = new ControlChannel({
        client: new ControlClient(control.url, this.#identity, `mirador-agent/${VERSION}`),
        cluster: cfg.cluster,
        dataDir: cfg.data_dir,
        pollWaitMs: cfg.control.poll_wait,
        heartbeatIntervalMs: cfg.control.heartbeat_interval,
        renewFraction: cfg.control.renew_fraction,
        identity: this.#identity,
        appliedVersion: this.#appliedVersion,
        host: {
          setFlows: (flows) => this.#setFlows(flows),
          applyConfig: (config) => this.#applyConfig(config),
          buffered: () => queue.depth(),
          identityChanged: (id) => {
            this.#identity = id;
            queue.setTls(id);
            this.#logs?.setTls({ cert: id.cert, key: id.key, ca: id.ca });
          },
        },
        errors: this.#errors,
        metrics: this.#control,
        logger: this.logger.child({ component: "control" }),
        agentVersion: VERSION,
      });
      this.#channel.start();
    } else if (this.#identity !== undefined) {
      this.#control.certificateExpiry.set(this.#identity.notAfter / 1000);
    }
    this.#started = true;
    this.logger.info("agent started", {
      jobs: this.#jobSet.jobs.length,
      gateway: cfg.remote_write_url,
      control: control?.url ?? "off",
      configVersion: this.#appliedVersion,
      certificate: this.#identity?.serial,
      http: `http://${cfg.http_listen_address}:${this.#port}`,
    });
  }

  /** Scrapes every target once now (tests and the demo's first data point). */
  async scrapeAll(): Promise<void> {
    await this.#pool?.scrapeAll();
  }

  /**
   * Stops the control channel, discovery and scraping, gives the queue `graceMs` to deliver what it
   * holds (the rest stays on disk for the next start), closes the port. Idempotent.
   */
  stop(graceMs = 5_000): Promise<void> {
    this.#stopped ??= this.#stop(graceMs);
    return this.#stopped;
  }

  async #stop(graceMs: number): Promise<void> {
    this.#started = false;
    await this.#channel?.stop();
    await this.#applying;
    await this.#manager?.stop();
    await this.#pool?.stop();
    await this.#logs?.stop(graceMs);
    await this.#queue?.stop(graceMs);
    await this.#http.close(1_000);
  }

  /** The cached version, settled into the job set when it can run (else logged and reported). */
  async #cachedConfig(): Promise<RemoteConfig | undefined> {
    const cfg = this.config;
    let cached: RemoteConfig | undefined;
    try {
      cached = await readConfigCache(cfg.data_dir);
    } catch (err) {
      this.#refused(`cached configuration unreadable: ${(err as Error).message}`, err);
      return undefined;
    }
    if (cached === undefined) return undefined;
    if (cached.cluster !== cfg.cluster) {
      this.#refused(
        `cached configuration is for cluster ${JSON.stringify(cached.cluster)}; ignored`,
        undefined,
      );
      return undefined;
    }
    try {
      this.#jobSet = buildJobSet(this.#local, this.#remoteSettings(cached.config), undefined);
      this.#appliedVersion = cached.version;
      this.logger.info("running the cached configuration from the seed", { version: cached.version });
    } catch (err) {
      this.#refused(
        `cached version ${cached.version} refused: ${(err as Error).message}; running the local configuration alone`,
        err,
      );
    }
    return cached;
  }

  #refused(msg: string, err: unknown): void {
    this.#errors.add("config", msg);
    this.#control.configErrors.inc();
    this.logger.error(msg, err === undefined ? {} : { err });
  }

  #openQueue(): Promise<RemoteWriteQueue> {
    const cfg = this.config;
    const rw = cfg.remote_write;
    const tls = this.#identity;
    return RemoteWriteQueue.open(
      {
        name: "seed",
        url: cfg.remote_write_url,
        dir: join(cfg.data_dir, "queue", "metrics"),
        ...(tls && { tls: { cert: tls.cert, key: tls.key, ca: tls.ca } }),
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
      { logger: this.logger, metrics: this.metrics, onFlowDisabled: (flow) => this.#flowRefused(flow) },
    );
  }

  #onTargets(job: string, targets: readonly ResolvedTarget[]): void {
    const pool = this.#pool!;
    const options = this.#jobSet.options.get(job);
    if (options === undefined) {
      // A job the seed's configuration no longer has.
      this.#targetsActive.remove({ job });
      pool.drop(job).catch((err: unknown) => this.logger.error("could not remove the job", { job, err }));
      return;
    }
    this.#targetsActive.set({ job }, targets.length);
    pool
      .sync(job, targets, options)
      .catch((err: unknown) => this.logger.error("could not apply the job's targets", { job, err }));
  }

  /**
   * Runs a version's configuration in place of the current one: jobs removed stop (stale markers),
   * changed ones restart with their new settings, new ones start, unchanged ones are not touched.
   * Rejects, changing nothing, when the version cannot run.
   */
  /** The seed's scrape settings, without its jobs when `control.scrape_configs` is off. */
  #remoteSettings(config: unknown): RemoteScrapeSettings {
    const settings = parseScrapeSettings(config);
    return this.config.control.scrape_configs ? settings : { ...settings, scrapeConfigs: [] };
  }

  #applyConfig(config: RemoteConfig): Promise<void> {
    const run = this.#applying.then(async () => {
      const next = buildJobSet(this.#local, this.#remoteSettings(config.config), this.#jobSet);
      const prev = this.#jobSet;
      this.#jobSet = next;
      await this.#manager!.setJobs(next.jobs);
      // Jobs whose discovery did not change but whose options did (external labels): new options
      // for the same targets. For jobs the manager restarted this repeats what it reported.
      const pool = this.#pool!;
      for (const job of next.jobs) {
        const name = job.job_name;
        const before = prev.options.get(name);
        if (before !== undefined && before !== next.options.get(name))
          await pool.sync(name, this.#manager!.targets(name), next.options.get(name)!);
      }
      const host = this.#hostSpec(next);
      if (host !== undefined && prev.options.get(HOST_JOB) !== next.options.get(HOST_JOB))
        await pool.updateCollector(host);
      this.#appliedVersion = config.version;
    });
    this.#applying = run.catch(() => {});
    return run;
  }

  /** Switches the flows as a version says. */
  #setFlows(flows: Flows): void {
    this.#setMetricsFlow(flows.metrics, "configuration");
    this.#setLogsFlow(flows.logs, "configuration");
  }

  /**
   * Opens and starts the log side (`logs` in the configuration): its own disk queue and positions
   * under `<data_dir>/logs`, pushes to `logs.push_url` (default: the gateway's origin).
   */
  async #startLogs(): Promise<void> {
    const cfg = this.config;
    const id = this.#identity;
    // Loaded only when logs are on: the stages bring the LogQL parser and pipeline with them.
    const { LogCollector } = await import("./logs/log-collector.js");
    const logs = await LogCollector.open(cfg.logs, {
      logger: this.logger.child({ component: "logs" }),
      metrics: this.metrics,
      dataDir: cfg.data_dir,
      url: cfg.logs.push_url ?? new URL(cfg.remote_write_url).origin,
      ...(id && { tls: { cert: id.cert, key: id.key, ca: id.ca } }),
      externalLabels: { ...cfg.external_labels, cluster: cfg.cluster },
      node: process.env.NODE_NAME ?? hostname(),
      onFlowDisabled: (flow) => this.#flowRefused(flow),
    });
    logs.setFlowEnabled(this.#logsFlow);
    logs.start(cfg.logs.positions_sync_period);
    this.#logs = logs;
  }

  /**
   * Switches the logs flow. Off, the files are still read (so that switching it back on does not
   * send a backlog the seed refused) and what is read is dropped and counted.
   */
  #setLogsFlow(on: boolean, why: string): void {
    if (on === this.#logsFlow) return;
    this.#logsFlow = on;
    this.#control.flowEnabled.set({ flow: "logs" }, on ? 1 : 0);
    this.#logs?.setFlowEnabled(on);
    if (this.#logs === undefined) return;
    if (on) this.logger.info("logs flow enabled by the seed: sending logs", { why });
    else this.logger.warn("logs flow disabled by the seed: dropping what is read and queued", { why });
  }

  /**
   * A push was answered 423. With a control channel: stop collecting and drop what is held now, and
   * ask for the configuration, which says whether and when the flow is back. Without one there is
   * no way to learn that: each refused batch is dropped and collection goes on.
   */
  #flowRefused(flow: string): void {
    if (this.#channel === undefined) return;
    if (flow === "metrics" && this.#metricsFlow) this.#setMetricsFlow(false, "gateway answered 423");
    else if (flow === "logs" && this.#logsFlow) this.#setLogsFlow(false, "gateway answered 423");
    else return;
    this.#channel.pollNow();
  }

  #setMetricsFlow(on: boolean, why: string): void {
    if (on === this.#metricsFlow) return;
    this.#metricsFlow = on;
    this.#control.flowEnabled.set({ flow: "metrics" }, on ? 1 : 0);
    this.#queue?.setFlowEnabled(on);
    const pool = this.#pool;
    if (pool !== undefined)
      (on ? pool.resume() : pool.pause()).catch((err: unknown) =>
        this.logger.error("could not switch scraping", { on, err }),
      );
    if (on) this.logger.info("metrics flow enabled by the seed: scraping and sending", { why });
    else
      this.logger.warn("metrics flow disabled by the seed: not scraping, dropping what is queued", { why });
  }

  /** The host collector's settings in `set`, when it runs. */
  #hostSpec(set: JobSet): CollectorSpec | undefined {
    const job = set.host;
    if (job === undefined || this.#hostCollector === undefined) return undefined;
    return {
      job: HOST_JOB,
      instance: hostname(),
      intervalMs: job.scrape_interval,
      timeoutMs: job.scrape_timeout,
      collector: this.#hostCollector,
      options: set.options.get(HOST_JOB)!,
    };
  }

  #report(target: LoopTarget, r: ScrapeReport): void {
    const job = target.labels.get("job");
    const instance = target.labels.get("instance");
    this.#targetUp.set({ job, instance }, r.up ? 1 : 0);
    if (!r.up) this.logger.warn("scrape failed", { job, instance, err: r.error });
  }
}

/**
 * Whether the control channel runs and where: on by default for an https `remote_write_url`
 * (`control.enabled` changes that), at `control.url` or the origin of `remote_write_url`.
 */
function controlSettings(cfg: AgentConfig): { url: string } | undefined {
  const enabled = cfg.control.enabled ?? cfg.remote_write_url.startsWith("https:");
  if (!enabled) return undefined;
  return { url: cfg.control.url ?? new URL(cfg.remote_write_url).origin };
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
  const tls = { cert: read("cert_file"), key: read("key_file"), ca: read("ca_file") };
  try {
    describeIdentity(tls, 0, "configured");
  } catch (err) {
    throw new Error(
      `tls.cert_file ${files.cert_file} and tls.key_file ${files.key_file}: ${(err as Error).message}`,
    );
  }
  return tls;
}
