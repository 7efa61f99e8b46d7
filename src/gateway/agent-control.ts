import { z } from "zod";
import { type AgentRemoteConfig, RegistryError, type SignedClusterCertificate } from "../registry/index.js";
import { HttpError } from "../server/errors.js";
import { readBody } from "../server/http/body.js";
import { sendJSON } from "../server/http/reply.js";
import type { RouteRequest } from "../server/http/router.js";
import type { GatewayRegistryService } from "./gateway-registry.js";
import { GatewayRefusal } from "./refusal.js";

/** The longest `wait` a config request may ask for, in seconds. */
export const MAX_CONFIG_WAIT_SECONDS = 60;
/** Largest heartbeat body, in bytes. */
export const MAX_HEARTBEAT_BYTES = 64 * 1024;
/** Largest certificate request body (PEM), in bytes. */
export const MAX_CSR_BYTES = 16 * 1024;
/** The shortest time between two certificate renewals of one cluster, in milliseconds. */
export const RENEWAL_INTERVAL_MS = 10_000;
/** Of a heartbeat's `errors`, how many are kept, and how many characters of each. */
export const MAX_HEARTBEAT_ERRORS = 20;
export const MAX_HEARTBEAT_ERROR_LENGTH = 1000;

/** A heartbeat body (docs/api/agent-protocol.md). Unknown fields are ignored, for newer agents. */
const heartbeatSchema = z.object({
  applied_config_version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  agent_version: z.string().min(1).max(64),
  buffered_samples: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  buffered_bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  errors: z
    .array(z.string())
    .transform((errors) =>
      errors.slice(0, MAX_HEARTBEAT_ERRORS).map((e) => e.slice(0, MAX_HEARTBEAT_ERROR_LENGTH)),
    ),
  certificate_serial: z
    .string()
    .regex(/^[0-9a-fA-F]{1,40}$/, "expected 1 to 40 hex digits")
    .transform((s) => s.toLowerCase())
    .optional(),
});

/** What {@link AgentControl} needs. */
export interface AgentControlOptions {
  readonly service: Pick<
    GatewayRegistryService,
    "getAgentConfig" | "waitAgentConfig" | "recordHeartbeat" | "renewCertificate"
  >;
  /** The clock in Unix ms (injectable for tests). */
  readonly now: () => number;
  /** Aborted when the gateway stops: config requests waiting for a change answer 304 at once. */
  readonly stopping: AbortSignal;
}

/**
 * The agent's control endpoints on the gateway (docs/api/agent-protocol.md): its configuration
 * (long-poll with ETag), heartbeats and certificate renewal. Each handler gets the cluster the
 * request's certificate names, already checked by the gateway.
 */
export class AgentControl {
  /** Unix ms of each cluster's last renewal attempt. */
  readonly #lastRenewal = new Map<string, number>();

  constructor(private readonly opts: AgentControlOptions) {}

  /**
   * `GET /agent/v1/config`: 200 with the configuration and `ETag: "<version>"` when its version
   * differs from `If-None-Match`, else 304 — after holding the request up to `wait` seconds for a
   * change. A client that goes away ends the wait.
   */
  async config(r: RouteRequest, cluster: string): Promise<void> {
    const waitMs = parseWait(r.url.searchParams.get("wait"));
    const known = parseEtag(r.raw.headers["if-none-match"]);
    const { service, stopping } = this.opts;
    let cfg = await service.getAgentConfig(cluster).catch(rethrowForAgent);
    if (known !== undefined && cfg.version === known && waitMs > 0 && !stopping.aborted) {
      try {
        cfg =
          (await service.waitAgentConfig(cluster, known, waitMs, AbortSignal.any([r.signal, stopping]))) ??
          cfg;
      } catch (err) {
        if (r.signal.aborted) return; // the client is gone: nobody to answer
        if (!stopping.aborted) throw err;
        // Stopping: answer "unchanged" so the agent asks again (elsewhere, or once we are back).
      }
    }
    const etag = `"${cfg.version}"`;
    if (cfg.version === known) {
      r.res.writeHead(304, { etag, "cache-control": "no-store" }).end();
      return;
    }
    sendJSON(r.res, 200, configBody(cfg), { etag, "cache-control": "no-store" });
  }

  /** `POST /agent/v1/heartbeat`: records the agent's report; 204. */
  async heartbeat(r: RouteRequest, cluster: string): Promise<void> {
    requireContentType(r, ["application/json"], "application/json");
    const text = (await readLimited(r, MAX_HEARTBEAT_BYTES, "a heartbeat")).toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new HttpError("bad_data", `heartbeat body is not JSON: ${(err as Error).message}`);
    }
    const parsed = heartbeatSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue?.path.join(".") || "body";
      throw new HttpError("bad_data", `invalid heartbeat: ${at}: ${issue?.message ?? "invalid"}`);
    }
    const h = parsed.data;
    await this.opts.service
      .recordHeartbeat({
        cluster,
        receivedAt: new Date(this.opts.now()).toISOString(),
        appliedConfigVersion: h.applied_config_version,
        agentVersion: h.agent_version,
        bufferedSamples: h.buffered_samples,
        bufferedBytes: h.buffered_bytes,
        errors: h.errors,
        ...(h.certificate_serial !== undefined && { certificateSerial: h.certificate_serial }),
      })
      .catch(rethrowForAgent);
    r.res.writeHead(204).end();
  }

  /**
   * `POST /agent/v1/certificate`: signs the PKCS#10 request (PEM) for the cluster of the
   * connection's certificate; at most one per cluster per {@link RENEWAL_INTERVAL_MS} (429).
   */
  async certificate(r: RouteRequest, cluster: string): Promise<void> {
    requireContentType(r, ["application/pkcs10", "application/x-pem-file"], "application/pkcs10");
    const now = this.opts.now();
    const last = this.#lastRenewal.get(cluster);
    if (last !== undefined && now - last < RENEWAL_INTERVAL_MS) {
      const wait = Math.ceil((last + RENEWAL_INTERVAL_MS - now) / 1000);
      throw new GatewayRefusal(
        "renewal_too_soon",
        `cluster ${cluster} renewed a certificate less than ${RENEWAL_INTERVAL_MS / 1000}s ago; retry after ${wait}s`,
        { "retry-after": String(wait) },
      );
    }
    const csrPem = (await readLimited(r, MAX_CSR_BYTES, "a certificate request")).toString("utf8");
    if (!csrPem.includes("-----BEGIN CERTIFICATE REQUEST-----")) {
      throw new HttpError(
        "bad_data",
        "the body must be a PKCS#10 certificate request in PEM (-----BEGIN CERTIFICATE REQUEST-----)",
      );
    }
    this.#lastRenewal.set(cluster, now);
    const issued: SignedClusterCertificate = await this.opts.service
      .renewCertificate(cluster, csrPem)
      .catch(rethrowForAgent);
    const { certificateGeneration } = await this.opts.service.getAgentConfig(cluster).catch(rethrowForAgent);
    sendJSON(r.res, 200, {
      certificate: issued.certPem,
      ca: issued.caPem,
      not_after: issued.certificate.notAfter,
      certificate_generation: certificateGeneration,
    });
  }

  /** Forgets a removed cluster. */
  forget(cluster: string): void {
    this.#lastRenewal.delete(cluster);
  }
}

/** The config as the agent reads it (snake_case, docs/api/agent-protocol.md). */
function configBody(cfg: AgentRemoteConfig): unknown {
  return {
    version: cfg.version,
    cluster: cfg.cluster,
    flows: { metrics: cfg.flows.metrics, logs: cfg.flows.logs },
    certificate_generation: cfg.certificateGeneration,
    config: cfg.body,
  };
}

/** `wait` in milliseconds: 0 to {@link MAX_CONFIG_WAIT_SECONDS} seconds, 0 when absent; 400 otherwise. */
function parseWait(value: string | null): number {
  if (value === null || value === "") return 0;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_CONFIG_WAIT_SECONDS) {
    throw new HttpError(
      "bad_data",
      `wait=${JSON.stringify(value)}: expected a number of seconds from 0 to ${MAX_CONFIG_WAIT_SECONDS}`,
    );
  }
  return Math.round(seconds * 1000);
}

/** The version in `If-None-Match: "<version>"` (a weak tag too, the first of a list), or undefined. */
function parseEtag(value: string | undefined): number | undefined {
  const first = value?.split(",")[0]?.trim();
  const m = first === undefined ? null : /^(?:W\/)?"(\d{1,15})"$/.exec(first);
  return m ? Number(m[1]) : undefined;
}

/** 415 unless the Content-Type is absent or one of `accepted` (parameters ignored). */
function requireContentType(r: RouteRequest, accepted: readonly string[], preferred: string): void {
  const value = r.raw.headers["content-type"];
  if (value === undefined) return;
  const type = value.split(";")[0]!.trim().toLowerCase();
  if (!accepted.includes(type)) {
    throw new HttpError(
      "unsupported_media_type",
      `unsupported Content-Type ${JSON.stringify(value)}: send ${preferred}`,
    );
  }
}

/** Reads a control body of at most `max` bytes (413 past it; fixed by the protocol, not configurable). */
async function readLimited(r: RouteRequest, max: number, what: string): Promise<Buffer> {
  try {
    return await readBody(r.raw, max, "(fixed by the protocol)");
  } catch (err) {
    if (err instanceof HttpError && err.code === "too_large") {
      throw new GatewayRefusal("body_too_large", `${what} may be at most ${max} bytes`, {
        connection: "close",
      });
    }
    throw err;
  }
}

/**
 * Throws a registry refusal as the agent should see it: a bad request is 400 (not retried), any
 * other (no such cluster, being removed) 403 (retried slowly: an admin must act). Other errors
 * pass unchanged (500: retried).
 */
function rethrowForAgent(err: unknown): never {
  if (!(err instanceof RegistryError)) throw err;
  throw new HttpError(err.kind === "invalid" ? "bad_data" : "forbidden", err.message);
}
