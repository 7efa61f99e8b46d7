import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { Counter, Gauge, Registry } from "prom-client";
import type { Logger } from "../lib/log/logger.js";
import { registerProcessMetrics } from "../lib/self-metrics/process-metrics.js";
import type { Labels } from "../model/labels.js";
import type { AgentConfig } from "../server/config.js";
import { sendText } from "../server/http/reply.js";
import { Router } from "../server/http/router.js";
import { HttpServer } from "../server/http/server.js";
import { VERSION } from "../server/version.js";
import { HostCollector } from "./host/index.js";
import { RemoteWriteSender } from "./remote-write/sender.js";
import { CollectorTarget } from "./scrape/collector-target.js";
import { HttpTarget } from "./scrape/http-target.js";
import { ScrapeLoop, type ScrapeReport } from "./scrape/scrape-loop.js";
import type { ScrapeTarget } from "./scrape/target.js";

/** PEM material of the agent's mTLS identity. */
export interface AgentTls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** Samples held in memory while the seed is unreachable (the disk queue comes with the agent issue). */
const MAX_QUEUED_SAMPLES = 2_000_000;

/**
 * The agent of one user cluster: scrapes its targets (its own /metrics, the host, configured static
 * targets) every interval, labels every series with `cluster="<id>"`, and ships them to the seed's
 * gateway as remote-write over mutual TLS. Its own HTTP port serves /-/healthy, /-/ready and /metrics.
 */
export class Agent {
  readonly metrics = new Registry();
  readonly #http: HttpServer;
  readonly #sender: RemoteWriteSender;
  readonly #loops: ScrapeLoop[] = [];
  readonly #extraTargets: readonly ScrapeTarget[];
  readonly #targetUp: Gauge<"job" | "instance">;
  readonly #scraped: Counter;
  #port = 0;
  #started = false;

  constructor(
    readonly config: AgentConfig,
    private readonly logger: Logger,
    opts: { tls?: AgentTls; extraTargets?: readonly ScrapeTarget[] } = {},
  ) {
    this.logger = logger.child({ agent: config.cluster });
    const tls = opts.tls ?? readTls(config);
    this.#extraTargets = opts.extraTargets ?? [];
    registerProcessMetrics(this.metrics);
    this.#targetUp = new Gauge({
      name: "mirador_agent_target_up",
      help: "Whether the last scrape of a target succeeded.",
      labelNames: ["job", "instance"],
      registers: [this.metrics],
    });
    this.#scraped = new Counter({
      name: "mirador_agent_samples_scraped_total",
      help: "Samples scraped from all targets.",
      registers: [this.metrics],
    });
    this.#sender = new RemoteWriteSender({
      url: config.remote_write_url,
      tls,
      batchMaxSamples: config.remote_write.batch_max_samples,
      maxBackoffMs: config.remote_write.max_backoff,
      timeoutMs: config.remote_write.timeout,
      maxQueuedSamples: MAX_QUEUED_SAMPLES,
      logger: this.logger,
      metrics: this.metrics,
      userAgent: `mirador-agent/${VERSION}`,
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
    return this.#sender.queued;
  }

  /** Listens, starts the sender, then starts a scrape loop per target. */
  async start(): Promise<void> {
    const cfg = this.config;
    this.#port = await this.#http.listen(cfg.http_listen_address, cfg.http_port);
    this.#sender.start();
    const labels = { cluster: cfg.cluster, external: cfg.external_labels };
    const sink = (l: Labels, t: number, v: number) => {
      this.#scraped.inc();
      this.#sender.enqueue(l, t, v);
    };
    const report = (target: ScrapeTarget, r: ScrapeReport) => {
      this.#targetUp.set({ job: target.job, instance: target.instance }, r.up ? 1 : 0);
      if (!r.up)
        this.logger.warn("scrape failed", { job: target.job, instance: target.instance, err: r.error });
      this.#sender.flush();
    };
    for (const { target, intervalMs, timeoutMs } of this.#targets()) {
      const loop = new ScrapeLoop(target, intervalMs, Math.min(timeoutMs, intervalMs), labels, sink, report);
      loop.start();
      this.#loops.push(loop);
    }
    this.#started = true;
    this.logger.info("agent started", {
      targets: this.#loops.length,
      gateway: cfg.remote_write_url,
      http: `http://${cfg.http_listen_address}:${this.#port}`,
    });
  }

  /** Scrapes every target once now (tests and the demo's first data point). */
  async scrapeAll(): Promise<void> {
    await Promise.all(this.#loops.map((l) => l.scrapeOnce()));
  }

  /** Stops scraping, gives the sender `graceMs` to deliver what is queued, closes the port. */
  async stop(graceMs = 5_000): Promise<void> {
    this.#started = false;
    await Promise.all(this.#loops.map((l) => l.stop()));
    await this.#sender.stop(graceMs);
    await this.#http.close(1_000);
  }

  #targets(): { target: ScrapeTarget; intervalMs: number; timeoutMs: number }[] {
    const cfg = this.config;
    const every = (
      target: ScrapeTarget,
      intervalMs = cfg.scrape_interval,
      timeoutMs = cfg.scrape_timeout,
    ) => ({ target, intervalMs, timeoutMs });
    const out = [];
    if (cfg.self_scrape) {
      const instance = `${cfg.http_listen_address}:${this.#port}`;
      out.push(every(new HttpTarget("mirador-agent", instance, `http://${instance}/metrics`)));
    }
    if (cfg.host_collector.enabled) {
      const collector = new HostCollector({
        procPath: cfg.host_collector.proc_path,
        sysPath: cfg.host_collector.sys_path,
      });
      out.push(every(new CollectorTarget("node", hostname(), collector)));
    }
    for (const sc of cfg.scrape_configs) {
      for (const group of sc.static_configs) {
        for (const address of group.targets) {
          const target = new HttpTarget(
            sc.job_name,
            address,
            `${sc.scheme}://${address}${sc.metrics_path}`,
            group.labels,
          );
          out.push(
            every(target, sc.scrape_interval ?? cfg.scrape_interval, sc.scrape_timeout ?? cfg.scrape_timeout),
          );
        }
      }
    }
    for (const t of this.#extraTargets) out.push(every(t));
    return out;
  }
}

function readTls(cfg: AgentConfig): AgentTls {
  const read = (key: "cert_file" | "key_file" | "ca_file") => {
    const path = cfg.tls[key];
    try {
      return readFileSync(path, "utf8");
    } catch (err) {
      throw new Error(`cannot read tls.${key} ${path}: ${(err as Error).message}`);
    }
  };
  return { cert: read("cert_file"), key: read("key_file"), ca: read("ca_file") };
}
