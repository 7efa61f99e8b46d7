import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { readBody } from "../server/http/body.js";
import { requireLoopback } from "../server/http/loopback.js";
import { sendText } from "../server/http/reply.js";
import type { RouteRequest } from "../server/http/router.js";
import { writeTenant } from "../server/http/tenant.js";
import type { Role, RoleEnv } from "../server/role.js";
import { VERSION } from "../server/version.js";
import { decodePushBody, PushError, type PushRequest } from "../wire/loki/index.js";
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
  LogHead,
  type LogQuerier,
  MergeLogQuerier,
} from "./store/index.js";

/**
 * The `logs` role: Loki push ingest and Loki's query API on the seed's HTTP port, over one
 * {@link LogHead} per tenant in `<data_dir>/logs/<tenant>/` (the tenant URI-encoded, dots too, as the
 * TSDB names its directories). Heads found on disk are opened (their WALs replayed) at start; a new
 * tenant's head is created by its first push. A push is answered only once its lines are durable.
 */
export class LogsRole implements Role {
  readonly name = "logs";
  /** Open (or opening) heads by tenant. */
  readonly #heads = new Map<string, Promise<LogHead>>();
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
    registerLokiApi(router, {
      querier: (tenants) => this.querier(tenants),
      maxEntriesLimit: config.logs.max_entries_limit_per_query,
      maxBodyBytes: config.server.max_query_body_bytes,
      version: VERSION,
    });
    this.#running = true;
  }

  async #push(r: RouteRequest): Promise<void> {
    requireLoopback(r.raw);
    const cfg = this.env.config.logs;
    const tenant = writeTenant(r.raw);
    const body = await readBody(r.raw, cfg.max_push_body_bytes, "logs.max_push_body_bytes");
    const { status, body: text } = await this.receive(
      tenant,
      { contentType: r.raw.headers["content-type"], contentEncoding: r.raw.headers["content-encoding"] },
      body,
    );
    if (status === 204) r.res.writeHead(204).end();
    else sendText(r.res, status, text);
  }

  /**
   * Ingests one Loki push body for `tenant` (the seed's push route and the in-process gateway both
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
  ): Promise<{ status: 204 | 400; body: string }> {
    const cfg = this.env.config.logs;
    let req: PushRequest;
    try {
      req = decodePushBody(
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
    admit?.(pushLineBytes(req));
    const overrides = cfg.tenant_limits[tenant] ?? {};
    const v = validatePush(req, this.limitsFor(tenant), Date.now(), {
      setting: (name) =>
        overrides[name] !== undefined ? `logs.tenant_limits.${tenant}.${name}` : `logs.limits.${name}`,
    });
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
      );
    }
    return pushOutcome(withHeadRefusals(v, appended));
  }

  /** The push limits of `tenant`: `logs.limits` with its `logs.tenant_limits` overrides. */
  limitsFor(tenant: string): LogIngestLimits {
    const cfg = this.env.config.logs;
    const out: Record<string, unknown> = { ...cfg.limits };
    for (const [k, v] of Object.entries(cfg.tenant_limits[tenant] ?? {})) if (v !== undefined) out[k] = v;
    return out as unknown as LogIngestLimits;
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

  /** The head of `tenant`, opened (or created) once. */
  #head(tenant: string): Promise<LogHead> {
    let head = this.#heads.get(tenant);
    if (head === undefined) {
      const dir = join(this.#dir, tenantDir(tenant));
      head = LogHead.open(dir, {
        outOfOrderWindowNs: BigInt(this.env.config.logs.out_of_order_window) * 1_000_000n,
      }).then((h) => {
        const torn = h.replayReport?.torn;
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
    const heads = [...this.#heads.values()];
    this.#heads.clear();
    await Promise.all(heads.map(async (h) => (await h.catch(() => undefined))?.close()));
  }

  ready(): boolean {
    return this.#running;
  }
}

/** The bytes of a push's lines and structured metadata (UTF-16 code units: bytes for ASCII), what rate limits count. */
function pushLineBytes(req: PushRequest): number {
  let n = 0;
  for (const s of req.streams) {
    for (const e of s.entries) {
      n += e.line.length;
      for (const [k, v] of e.structuredMetadata ?? []) n += k.length + v.length;
    }
  }
  return n;
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
