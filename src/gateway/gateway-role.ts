import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { Counter } from "prom-client";
import type { RegistryRole } from "../registry/index.js";
import { clusterIdFromTlsSocket } from "../registry/index.js";
import { HttpError } from "../server/errors.js";
import { readBody } from "../server/http/body.js";
import { sendText } from "../server/http/reply.js";
import { type RouteRequest, Router } from "../server/http/router.js";
import { HttpServer } from "../server/http/server.js";
import type { Role, RoleEnv } from "../server/role.js";
import type { WriteForwarder } from "./forwarder.js";

/** Renew the serving certificate when it has less than this left. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

/**
 * The `gateway` role: the only way into the seed for agents. It listens on its own port with TLS
 * 1.3 and requires a client certificate issued by the seed's CA; the certificate's CN names the
 * cluster, which becomes the tenant — any `X-Scope-OrgID` the client sent is ignored and replaced.
 * Writes are then forwarded to the metrics ingest.
 */
export class GatewayRole implements Role {
  readonly name = "gateway";
  #server: HttpServer | undefined;
  #port = 0;
  readonly #requests: Counter<"tenant" | "code">;
  readonly #handshakeFailures: Counter;

  constructor(
    private readonly env: RoleEnv,
    private readonly registry: RegistryRole,
    private readonly forwarder: WriteForwarder,
  ) {
    this.#requests = new Counter({
      name: "mirador_gateway_requests_total",
      help: "Writes received by the gateway, per tenant and status code.",
      labelNames: ["tenant", "code"],
      registers: [env.metrics],
    });
    this.#handshakeFailures = new Counter({
      name: "mirador_gateway_tls_handshake_failures_total",
      help: "TLS handshakes the gateway refused (no, foreign or invalid client certificate).",
      registers: [env.metrics],
    });
  }

  /** The port the gateway listens on (useful when configured as 0). */
  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const cfg = this.env.config.gateway;
    const { cert, key } = await this.#servingCertificate(cfg.hosts);
    const router = new Router();
    const handler = this.#handleWrite.bind(this);
    router.on("POST", "/api/v1/push", handler, { errors: "text" });
    router.on("POST", "/api/v1/write", handler, { errors: "text" });
    // Health for agents and probes that hold a certificate. /metrics stays on the seed's port: it
    // names every tenant, which no agent may see.
    router.on("GET", "/-/healthy", (r) => sendText(r.res, 200, "Mirador gateway is Healthy.\n"));
    router.on("GET", "/-/ready", (r) => {
      const ready = this.ready();
      sendText(
        r.res,
        ready ? 200 : 503,
        ready ? "Mirador gateway is Ready.\n" : "Mirador gateway is not ready.\n",
      );
    });
    this.#server = new HttpServer({
      name: "gateway",
      router,
      logger: this.env.logger.child({ role: "gateway" }),
      metrics: this.env.metrics,
      tls: {
        cert,
        key,
        ca: this.registry.ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: "TLSv1.3",
      },
    });
    this.#server.server.on("tlsClientError", (err: Error) => {
      this.#handshakeFailures.inc();
      this.env.logger.debug("gateway refused a TLS handshake", { role: "gateway", err });
    });
    this.#port = await this.#server.listen(cfg.listen_address, cfg.port);
    this.env.logger.info("gateway listening", {
      role: "gateway",
      address: `https://${cfg.listen_address}:${this.#port}`,
    });
  }

  async stop(): Promise<void> {
    await this.#server?.close(this.env.config.server.shutdown_grace);
  }

  ready(): boolean {
    return this.#server?.server.listening ?? false;
  }

  async #handleWrite(r: RouteRequest): Promise<void> {
    const tenant = clusterIdFromTlsSocket(r.raw.socket as TLSSocket);
    if (tenant === undefined || !this.registry.clusters.get(tenant)) {
      this.#requests.inc({ tenant: "unknown", code: "403" });
      throw new HttpError(
        "forbidden",
        "the client certificate does not name a cluster registered on this seed",
      );
    }
    const body = await readBody(
      r.raw,
      this.env.config.metrics.max_write_body_bytes,
      "metrics.max_write_body_bytes",
    );
    // The tenant is the certificate's cluster; a tenant header from the client is never looked at.
    const result = await this.forwarder.forward(
      tenant,
      r.raw.headers["content-type"],
      r.raw.headers["content-encoding"],
      body,
    );
    this.#requests.inc({ tenant, code: String(result.status) });
    r.res.writeHead(result.status, { "content-type": "text/plain; charset=utf-8", ...result.headers });
    r.res.end(result.body);
  }

  /** The serving certificate under `<data_dir>/gateway/`, issued (again) when missing or close to expiry. */
  async #servingCertificate(hosts: readonly string[]): Promise<{ cert: string; key: string }> {
    const dir = join(this.env.config.data_dir, "gateway");
    const certPath = join(dir, "tls.crt");
    const keyPath = join(dir, "tls.key");
    try {
      const cert = readFileSync(certPath, "utf8");
      const key = readFileSync(keyPath, "utf8");

      const x = new X509Certificate(cert);
      const fresh = Date.parse(x.validTo) - Date.now() > RENEW_BEFORE_MS;
      const sameCA = x.checkIssued(new X509Certificate(this.registry.ca.certPem));
      const coversHosts = hosts.every((h) => x.checkHost(h) !== undefined || x.checkIP(h) !== undefined);
      if (fresh && sameCA && coversHosts) return { cert, key };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const issued = await this.registry.ca.issueServerCertificate([...hosts]);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(keyPath, issued.keyPem, { mode: 0o600 });
    writeFileSync(certPath, issued.certPem, { mode: 0o644 });
    return { cert: issued.certPem, key: issued.keyPem };
  }
}
