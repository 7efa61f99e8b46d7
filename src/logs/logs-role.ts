import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { TokenBucket } from "../lib/rate/token-bucket.js";
import { HttpError } from "../server/errors.js";
import { readBody } from "../server/http/body.js";
import { requireLoopback } from "../server/http/loopback.js";
import { sendText } from "../server/http/reply.js";
import type { RouteRequest } from "../server/http/router.js";
import { writeTenant } from "../server/http/tenant.js";
import type { Role, RoleEnv } from "../server/role.js";
import { VERSION } from "../server/version.js";
import { decodePushBody, PushError, type PushRequest, pushLineBytes } from "../wire/loki/index.js";
import { decodeOtlpLogsBody } from "../wire/otlp/index.js";
import { registerLokiApi } from "./api/loki-api.js";
import {
  type LogIngestLimits,
  type PushValidation,
  pushErrorToHttp,
  pushOutcome,
  validatePush,
} from "./ingest/index.js";
import {
  EMPTY_LOG_QUERIER,
  type LogAppendResult,
  type LogQuerier,
  LogStore,
  MergeLogQuerier,
} from "./store/index.js";

/** A tenant's limits: what a push may carry (validation) and what its store may hold. */
export interface LogTenantLimits extends LogIngestLimits {
  /** Line bytes per second, MB (2^20 bytes); 0 = unlimited. */
  readonly ingestion_rate_mb: number;
  /** Line bytes one burst may carry, MB. */
  readonly ingestion_burst_size_mb: number;
  /** Active streams; 0 = unlimited. */
  readonly max_global_streams_per_user: number;
  /** Retention of blocks by age, ms; 0 = for ever. */
  readonly retention_period: number;
  /** Retention of blocks by total size, bytes; 0 = no bound. */
  readonly retention_size: number;
}

const MB = 1024 * 1024;

/** The body formats a push may come in: Loki's push API, or OTLP/HTTP logs (mapped as Loki maps them). */
export type PushFormat = "loki" | "otlp";

/**
 * The `logs` role: Loki push ingest and Loki's query API on the seed's HTTP port, over one
 * {@link LogStore} per tenant in `<data_dir>/logs/<tenant>/` (the tenant URI-encoded, dots too, as the
 * TSDB names its directories): a head with its WAL, and immutable blocks. Stores found on disk are
 * opened (their WALs replayed) at start; a new tenant's store is created by its first push. A push is
 * answered only once its lines are durable. A maintenance loop flushes heads into blocks
 * (`logs.flush_period`, `logs.head_max_bytes`) and applies each tenant's retention; `POST /flush`
 * flushes every head at once (loopback only, as Loki's ingester endpoint).
 */
export class LogsRole implements Role {
  readonly name = "logs";
  /** Open (or opening) stores by tenant. */
  readonly #heads = new Map<string, Promise<LogStore>>();
  /** Ingestion rate buckets by tenant (line bytes). */
  readonly #buckets = new Map<string, TokenBucket>();
  #maintenance: NodeJS.Timeout | undefined;
  #maintaining: Promise<void> | undefined;
  #running = false;

  constructor(private readonly env: RoleEnv) {}

  get #dir(): string {
    return join(this.env.config.data_dir, "logs");
  }

  async start(): Promise<void> {
    const { router, config } = this.env;
    await mkdir(this.#dir, { recursive: true });
    for (const entry of await readdir(this.#dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const tenant = tenantOfDir(entry.name);
      if (tenant === undefined) {
        this.env.logger.warn("ignoring a directory that names no tenant", {
          dir: join(this.#dir, entry.name),
        });
        continue;
      }
      await this.#head(tenant);
    }
    router.on("POST", "/loki/api/v1/push", (r) => this.#push(r), { errors: "text" });
    router.on("POST", "/api/prom/push", (r) => this.#push(r), { errors: "text" });
    router.on("POST", "/otlp/v1/logs", (r) => this.#push(r, "otlp"), { errors: "text" });
    router.on(
      "POST",
      "/flush",
      async (r) => {
        requireLoopback(r.raw);
        await this.flushAll();
        r.res.writeHead(204).end();
      },
      { errors: "text" },
    );
    registerLokiApi(router, {
      querier: (tenants) => this.querier(tenants),
      maxEntriesLimit: config.logs.max_entries_limit_per_query,
      maxBodyBytes: config.server.max_query_body_bytes,
      version: VERSION,
    });
    this.#maintenance = setInterval(() => {
      this.#maintaining ??= this.maintain(Date.now()).finally(() => {
        this.#maintaining = undefined;
      });
    }, config.logs.maintenance_interval);
    this.#maintenance.unref();
    this.#running = true;
  }

  /**
   * One maintenance pass: flushes each tenant's head whose oldest unflushed entry is older than
   * `logs.flush_period` or which holds `logs.head_max_bytes` of lines, then applies each tenant's
   * retention. A failing tenant is logged and the others go on.
   */
  async maintain(nowMs: number): Promise<void> {
    const cfg = this.env.config.logs;
    for (const [tenant, opening] of [...this.#heads]) {
      try {
        const store = await opening;
        const since = store.head.dirtySinceMs;
        if (
          store.head.memBytes >= cfg.head_max_bytes ||
          (since !== undefined && nowMs - since >= cfg.flush_period)
        ) {
          await store.flush();
        }
        const limits = this.limitsFor(tenant);
        const r = await store.applyRetention(
          { periodMs: limits.retention_period, maxBytes: limits.retention_size },
          nowMs,
        );
        if (r.blocks > 0)
          this.env.logger.info("deleted log blocks past retention", {
            tenant,
            blocks: r.blocks,
            bytes: r.bytes,
          });
      } catch (err) {
        this.env.logger.error("log store maintenance failed", { tenant, err });
      }
    }
  }

  /** Flushes every tenant's head into a block now (`POST /flush`). */
  async flushAll(): Promise<void> {
    for (const opening of [...this.#heads.values()]) await (await opening).flush();
  }

  async #push(r: RouteRequest, format: PushFormat = "loki"): Promise<void> {
    requireLoopback(r.raw);
    const cfg = this.env.config.logs;
    const tenant = writeTenant(r.raw);
    const body = await readBody(r.raw, cfg.max_push_body_bytes, "logs.max_push_body_bytes");
    const contentType = r.raw.headers["content-type"];
    const { status, body: text } = await this.receive(
      tenant,
      { contentType, contentEncoding: r.raw.headers["content-encoding"] },
      body,
      undefined,
      format,
    );
    if (status !== 204) sendText(r.res, status, text);
    else if (format === "loki") r.res.writeHead(204).end();
    else if (contentType?.startsWith("application/json")) {
      // OTLP/HTTP: an empty ExportLogsServiceResponse, in the request's encoding.
      r.res.writeHead(200, { "content-type": "application/json" }).end("{}");
    } else r.res.writeHead(200, { "content-type": "application/x-protobuf", "content-length": "0" }).end();
  }

  /**
   * Ingests one Loki push body (or, with `format` `"otlp"`, an OTLP/HTTP logs body) for `tenant` (the seed's push route and the in-process gateway both
   * come here): decodes it (a {@link PushError} becomes an `HttpError` 400/413/415, thrown), validates
   * it, calls `admit` with the decoded line bytes (lines plus structured metadata, refused entries
   * included) before anything is kept — an error it throws rejects the call with nothing kept —
   * appends the valid entries and resolves once they are durable, with the status and body to answer.
   */
  async receive(
    tenant: string,
    headers: { contentType: string | undefined; contentEncoding: string | undefined },
    body: Uint8Array,
    admit?: (lineBytes: number) => void,
    format: PushFormat = "loki",
  ): Promise<{ status: 204 | 400; body: string }> {
    const cfg = this.env.config.logs;
    let req: PushRequest;
    try {
      const decode = format === "otlp" ? decodeOtlpLogsBody : decodePushBody;
      req = decode(
        { contentType: headers.contentType, contentEncoding: headers.contentEncoding, body },
        {
          maxDecompressedBytes: cfg.max_push_decompressed_bytes,
          setting: "logs.max_push_decompressed_bytes",
        },
      );
    } catch (err) {
      if (err instanceof PushError) throw pushErrorToHttp(err);
      throw err;
    }
    const lineBytes = pushLineBytes(req);
    admit?.(lineBytes);
    const overrides = cfg.tenant_limits[tenant] ?? {};
    const setting = (name: string): string =>
      (overrides as Record<string, unknown>)[name] !== undefined
        ? `logs.tenant_limits.${tenant}.${name}`
        : `logs.limits.${name}`;
    const limits = this.limitsFor(tenant);
    const v = validatePush(req, limits, Date.now(), { setting });
    // As Loki, the rate counts what passed validation.
    let validBytes = 0;
    for (const st of v.streams) for (const e of st.entries) validBytes += e.line.length;
    this.#takeRate(tenant, limits, validBytes, setting);
    let appended: LogAppendResult | undefined;
    if (v.streams.length > 0) {
      const head = await this.#head(tenant);
      appended = await head.append(
        v.streams.map((s) => ({
          labels: s.labels,
          entries: s.entries.map((e) => ({
            tsNs: e.timestampNs,
            line: e.line,
            structuredMetadata: e.structuredMetadata,
          })),
        })),
        {
          maxStreams: limits.max_global_streams_per_user,
          maxStreamsSetting: setting("max_global_streams_per_user"),
        },
      );
    }
    return pushOutcome(withHeadRefusals(v, appended));
  }

  /** The limits of `tenant`: `logs.limits` with its `logs.tenant_limits` overrides. */
  limitsFor(tenant: string): LogTenantLimits {
    const cfg = this.env.config.logs;
    const out: Record<string, unknown> = { ...cfg.limits };
    for (const [k, v] of Object.entries(cfg.tenant_limits[tenant] ?? {})) if (v !== undefined) out[k] = v;
    return out as unknown as LogTenantLimits;
  }

  /**
   * Takes `lineBytes` from the tenant's ingestion bucket (`ingestion_rate_mb`, `ingestion_burst_size_mb`)
   * or throws a 429 `HttpError` with `Retry-After`: the whole push is refused, nothing is kept, and the
   * sender retries it later. A push larger than the burst passes when the bucket is full (the debt is
   * paid back at the rate), so no sender is stuck for good.
   */
  #takeRate(
    tenant: string,
    limits: LogTenantLimits,
    lineBytes: number,
    setting: (n: string) => string,
  ): void {
    const now = Date.now();
    const rate = limits.ingestion_rate_mb * MB;
    const burst = Math.max(limits.ingestion_burst_size_mb * MB, rate);
    let bucket = this.#buckets.get(tenant);
    if (bucket === undefined) {
      bucket = new TokenBucket(rate, burst, now);
      this.#buckets.set(tenant, bucket);
    } else {
      bucket.configure(rate, burst, now);
    }
    const wait = bucket.take(lineBytes, now);
    if (wait === 0) return;
    const seconds = Math.max(1, Math.ceil(wait / 1000));
    throw new HttpError(
      "rate_limited",
      `ingestion rate limit of ${limits.ingestion_rate_mb} MB/s (burst ${limits.ingestion_burst_size_mb} MB) exceeded for tenant ${tenant} while pushing ${lineBytes} bytes of lines; retry in ${seconds} s, or raise ${setting("ingestion_rate_mb")} / ${setting("ingestion_burst_size_mb")}`,
      { "Retry-After": String(seconds) },
    );
  }

  /** A read view over `tenants`' logs: one head's querier, or several merged by time. */
  async querier(tenants: readonly string[]): Promise<LogQuerier> {
    const qs: LogQuerier[] = [];
    for (const t of new Set(tenants)) {
      const head = this.#heads.get(t);
      if (head !== undefined) qs.push((await head).querier());
    }
    if (qs.length === 0) return EMPTY_LOG_QUERIER;
    return qs.length === 1 ? qs[0]! : new MergeLogQuerier(qs);
  }

  /** The store of `tenant`, opened (or created) once. */
  #head(tenant: string): Promise<LogStore> {
    let head = this.#heads.get(tenant);
    if (head === undefined) {
      const dir = join(this.#dir, tenantDir(tenant));
      head = LogStore.open(dir, {
        outOfOrderWindowNs: BigInt(this.env.config.logs.out_of_order_window) * 1_000_000n,
      }).then((h) => {
        const torn = h.head.replayReport?.torn;
        if (torn !== undefined)
          this.env.logger.warn("cut a torn tail off a log WAL", {
            tenant,
            file: torn.file,
            bytes: torn.droppedBytes,
          });
        return h;
      });
      // A head that failed to open is retried by the next call.
      head.catch(() => this.#heads.delete(tenant));
      this.#heads.set(tenant, head);
    }
    return head;
  }

  /**
   * Deletes everything stored for `tenant`: closes its head (after appends in flight) and removes its
   * directory. The registry calls it when a removed cluster's grace period ends.
   */
  async deleteTenant(tenant: string): Promise<void> {
    const head = this.#heads.get(tenant);
    this.#heads.delete(tenant);
    await (await head?.catch(() => undefined))?.close();
    await rm(join(this.#dir, tenantDir(tenant)), { recursive: true, force: true });
    this.env.logger.info("deleted the logs of a removed cluster", { role: "logs", tenant });
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#maintenance);
    await this.#maintaining;
    const heads = [...this.#heads.values()];
    this.#heads.clear();
    await Promise.all(heads.map(async (h) => (await h.catch(() => undefined))?.close()));
  }

  ready(): boolean {
    return this.#running;
  }
}

/** The push validation with what the head refused on top (out of order, bad timestamps), for {@link pushOutcome}. */
function withHeadRefusals(v: PushValidation, appended: LogAppendResult | undefined): PushValidation {
  if (appended === undefined) return v;
  const headRefused = Object.values(appended.refusedByReason).reduce((a, n) => a + (n ?? 0), 0);
  if (headRefused === 0) return v;
  return {
    ...v,
    accepted: appended.accepted,
    refused: v.refused + headRefused,
    // The head's reasons (`out_of_order`, …) are not validation reasons; the body only prints them.
    refusedByReason: {
      ...v.refusedByReason,
      ...appended.refusedByReason,
    } as PushValidation["refusedByReason"],
    errors: [...v.errors, ...appended.errors],
  };
}

/** The directory name of `tenant`: URI-encoded, with dots encoded too (no `.` or `..`). */
function tenantDir(tenant: string): string {
  return encodeURIComponent(tenant).replaceAll(".", "%2E");
}

/** The tenant a directory name stands for, or undefined for a name {@link tenantDir} never gives. */
function tenantOfDir(name: string): string | undefined {
  try {
    const tenant = decodeURIComponent(name);
    return tenantDir(tenant) === name ? tenant : undefined;
  } catch {
    return undefined;
  }
}
