import { join } from "node:path";
import { readBody } from "../server/http/body.js";
import { requireLoopback } from "../server/http/loopback.js";
import { sendJSON, sendText } from "../server/http/reply.js";
import type { RouteRequest } from "../server/http/router.js";
import { writeTenant } from "../server/http/tenant.js";
import type { Role, RoleEnv } from "../server/role.js";
import { VERSION } from "../server/version.js";
import { registerPromApi } from "./api/prom-api.js";
import { ExemplarStore } from "./exemplars/exemplar-store.js";
import { IngestStats } from "./ingest/ingest-stats.js";
import { OtlpReceiver } from "./ingest/otlp-receiver.js";
import { RemoteWriteReceiver } from "./ingest/remote-write-receiver.js";
import { IngestPipeline, type ReceiveResult, writeOutcome } from "./ingest/sample-writer.js";
import { StoredWriteExtras } from "./ingest/write-extras.js";
import { TenantLimits } from "./limits/index.js";
import { MetadataStore } from "./metadata/metadata-store.js";
import { Engine } from "./promql/index.js";
import type { Appendable, Appender } from "./storage/interface.js";
import { TSDB } from "./tsdb/tsdb.js";

/**
 * The `metrics` role: remote-write ingest, the per-tenant store and the Prometheus query API on
 * the seed's HTTP port. Other roles in the same process reach its store and ingest through the
 * fields below (the gateway hands writes to {@link receiver} with its admission check, without another HTTP hop).
 */
export class MetricsRole implements Role {
  readonly name = "metrics";
  #storage: TSDB | undefined;
  #maintenance: NodeJS.Timeout | undefined;
  readonly stats = new IngestStats();
  /** Per-tenant ingest, storage and read limits (`metrics.limits`, `metrics.tenant_limits`). */
  readonly limits: TenantLimits;
  /** Metric metadata from remote-write, snapshotted to `<data_dir>/metadata/`. */
  readonly metadata: MetadataStore;
  /** Exemplars from remote-write, in memory only. */
  readonly exemplars: ExemplarStore;
  readonly receiver: RemoteWriteReceiver;
  readonly otlp: OtlpReceiver;
  #running = false;
  #snapshots: NodeJS.Timeout | undefined;
  /** The metadata snapshot being written, if any: snapshots run one after another. */
  #snapshotting: Promise<void> = Promise.resolve();

  constructor(private readonly env: RoleEnv) {
    const cfg = env.config.metrics;
    this.limits = new TenantLimits(cfg.limits, cfg.tenant_limits);
    // The store opens in start(); nothing is written before that (the role is not ready).
    const store: Appendable = { appender: (ctx): Appender => this.storage.appender(ctx) };
    this.metadata = new MetadataStore(this.limits, join(env.config.data_dir, "metadata"));
    this.exemplars = new ExemplarStore(this.limits);
    const extras = new StoredWriteExtras(this.metadata, this.exemplars, env.metrics);
    const pipeline = new IngestPipeline(store, this.stats, this.limits, env.metrics, extras);
    this.receiver = new RemoteWriteReceiver(pipeline, cfg.max_write_decompressed_bytes);
    this.otlp = new OtlpReceiver(pipeline, cfg.max_write_decompressed_bytes);
  }

  /** The per-tenant TSDB; opened (its WALs replayed) by {@link start}. */
  get storage(): TSDB {
    if (this.#storage === undefined)
      throw new Error("the metrics role has not started: its TSDB is not open");
    return this.#storage;
  }

  async start(): Promise<void> {
    const { router, config } = this.env;
    const log = this.env.logger;
    this.#storage = await TSDB.open(config.data_dir, {
      limits: this.limits,
      blockDurationMs: config.metrics.tsdb.block_duration,
      walSegmentBytes: config.metrics.tsdb.wal_segment_bytes,
      onProblem: (message) => log.warn(message),
    });
    await this.metadata.load((message) => log.warn(message));
    const push = async (r: RouteRequest) => {
      requireLoopback(r.raw);
      const tenant = writeTenant(r.raw);
      const body = await readBody(r.raw, config.metrics.max_write_body_bytes, "metrics.max_write_body_bytes");
      const result = await this.ingest(
        tenant,
        r.raw.headers["content-type"],
        r.raw.headers["content-encoding"],
        body,
      );
      const { status, body: text, headers } = writeOutcome(result);
      for (const [name, value] of Object.entries(headers)) r.res.setHeader(name, value);
      if (status === 204) r.res.writeHead(204).end();
      else sendText(r.res, status, text);
    };
    router.on("POST", "/api/v1/push", push, { errors: "text" });
    router.on("POST", "/api/v1/write", push, { errors: "text" });
    const otlp = async (r: RouteRequest) => {
      requireLoopback(r.raw);
      const tenant = writeTenant(r.raw);
      const body = await readBody(r.raw, config.metrics.max_write_body_bytes, "metrics.max_write_body_bytes");
      const answer = await this.otlp.receive(
        tenant,
        { contentType: r.raw.headers["content-type"], contentEncoding: r.raw.headers["content-encoding"] },
        body,
      );
      r.res.writeHead(answer.status, { "content-type": answer.contentType }).end(answer.body);
    };
    // Prometheus's path and the OTLP default path (as Mimir serves it).
    router.on("POST", "/api/v1/otlp/v1/metrics", otlp, { errors: "text" });
    router.on("POST", "/otlp/v1/metrics", otlp, { errors: "text" });
    registerPromApi(router, {
      queryable: this.storage,
      engine: (maxSamples) => new Engine({ maxSamples }),
      limits: this.limits,
      metadata: this.metadata,
      exemplars: this.exemplars,
      maxBodyBytes: config.server.max_query_body_bytes,
      version: VERSION,
    });
    // Mimir's path for an ingester flush: every head into blocks now (benchmarks, before a move).
    router.on("POST", "/api/mirador/v1/admin/tsdb/flush", async (r) => {
      requireLoopback(r.raw);
      const done = await this.storage.maintain(true);
      sendJSON(r.res, 200, {
        status: "success",
        data: Object.fromEntries([...done].map(([tenant, m]) => [tenant, m])),
      });
    });
    this.#maintenance = setInterval(() => {
      this.storage
        .maintain()
        .catch((err) => log.error("TSDB maintenance failed", { err: (err as Error).message }));
    }, config.metrics.tsdb.maintenance_interval).unref();
    this.#snapshots = setInterval(
      () => void this.#snapshotMetadata(),
      config.metrics.tsdb.maintenance_interval,
    ).unref();
    this.#running = true;
  }

  /**
   * Deletes everything stored for `tenant`: its TSDB (head, WAL, blocks), metric metadata and
   * exemplars. The registry calls it when a removed cluster's grace period ends.
   */
  async deleteTenant(tenant: string): Promise<void> {
    await this.storage.deleteTenant(tenant);
    await this.metadata.deleteTenant(tenant);
    this.exemplars.deleteTenant(tenant);
    this.env.logger.info("deleted the data of a removed cluster", { role: "metrics", tenant });
  }

  /** Writes the metadata snapshots of tenants whose metadata changed, after any snapshot under way. */
  #snapshotMetadata(): Promise<void> {
    this.#snapshotting = this.#snapshotting
      .then(() => this.metadata.snapshot())
      .catch((err) =>
        this.env.logger.error("metric metadata snapshot failed", { err: (err as Error).message }),
      );
    return this.#snapshotting;
  }

  /** Ingests one remote-write body for `tenant` (the gateway's in-process path). */
  ingest(
    tenant: string,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Uint8Array,
  ): Promise<ReceiveResult> {
    return this.receiver.receive(tenant, { contentType, contentEncoding }, body);
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#maintenance);
    clearInterval(this.#snapshots);
    if (this.#storage !== undefined) await this.#snapshotMetadata();
    await this.#storage?.close();
  }

  ready(): boolean {
    return this.#running;
  }
}
