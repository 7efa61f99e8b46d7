import { join } from "node:path";
import type { TLSSocket, Server as TlsServer } from "node:tls";
import { Counter } from "prom-client";
import type { Logger } from "../lib/log/logger.js";
import type { Cluster, ClusterLimits, RegistryEvent } from "../registry/index.js";
import { clusterIdFromTlsSocket } from "../registry/index.js";
import { HttpError } from "../server/errors.js";
import { readBody } from "../server/http/body.js";
import { sendText } from "../server/http/reply.js";
import { type Handler, type RouteRequest, Router } from "../server/http/router.js";
import { HttpServer } from "../server/http/server.js";
import type { Role, RoleEnv } from "../server/role.js";
import { AgentControl } from "./agent-control.js";
import { ClusterLimiter, effectiveLimits } from "./cluster-limiter.js";
import type { WriteForwarder } from "./forwarder.js";
import type { GatewayRegistry, GatewayRegistryService } from "./gateway-registry.js";
import { GatewayTls } from "./gateway-tls.js";
import type { LogForwarder } from "./log-forwarder.js";
import { clusterUpdateHint, GatewayRefusal } from "./refusal.js";
import { ServingCertificate } from "./serving-cert.js";
import { TrafficMeter } from "./traffic.js";

/** Options of a {@link GatewayRole} beyond its configuration. */
export interface GatewayOptions {
  /** The clock in Unix ms for limits, traffic rates and certificate renewal (tests pass a fake one). */
  readonly now?: () => number;
  /**
   * Where Loki pushes go (`LocalLogForwarder` or `HttpLogForwarder`). Without one the logs push
   * routes answer 503 naming `gateway.logs_forward_url`: this gateway has no logs ingest.
   */
  readonly logForwarder?: LogForwarder;
}

/** What the gateway knows of a connection's client certificate, worked out once per connection. */
interface Peer {
  /** The cluster the certificate names, or undefined when it names none. */
  readonly cluster: string | undefined;
  /** Lowercase hex. */
  readonly serial: string;
}

/**
 * The `gateway` role: the only way into the seed for agents. It listens on its own port with TLS
 * 1.3 and requires a client certificate issued by the seed's CA and not revoked (a CRL swapped in
 * live, {@link GatewayTls}); the certificate's CN names the cluster, which becomes the tenant — any
 * `X-Scope-OrgID` the client sent is ignored and replaced. A cluster that is unknown or being
 * removed is refused (403); then come the cluster's flow switch (423), body size (413) and
 * samples/s limit (429, {@link ClusterLimiter}) before the write is forwarded to the metrics
 * ingest. Loki pushes (`/loki/api/v1/push`, `/api/prom/push`) pass the same checks with the logs
 * flow and the log bytes/s limit, and go to the logs ingest ({@link LogForwarder}). It also serves
 * the agent's control endpoints ({@link AgentControl}) and reports each cluster's traffic to the
 * registry ({@link TrafficMeter}).
 *
 * The registry's `service` and `ca` are read in {@link start}, once the registry role has started.
 */
export class GatewayRole implements Role {
  readonly name = "gateway";
  #server: HttpServer | undefined;
  #port = 0;
  #service: GatewayRegistryService | undefined;
  #tls: GatewayTls | undefined;
  #control: AgentControl | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #stopping = new AbortController();
  readonly #peers = new WeakMap<TLSSocket, Peer>();
  readonly #limiter: ClusterLimiter;
  readonly #traffic: TrafficMeter;
  readonly #now: () => number;
  readonly #logForwarder: LogForwarder | undefined;
  readonly #requests: Counter<"tenant" | "code">;
  readonly #handshakeFailures: Counter;

  constructor(
    private readonly env: RoleEnv,
    private readonly registry: GatewayRegistry,
    private readonly forwarder: WriteForwarder,
    opts: GatewayOptions = {},
  ) {
    this.#now = opts.now ?? Date.now;
    this.#logForwarder = opts.logForwarder;
    this.#limiter = new ClusterLimiter(env.config.gateway.max_retry_after);
    this.#traffic = new TrafficMeter(env.metrics, this.#now);
    this.#requests = new Counter({
      name: "mirador_gateway_requests_total",
      help: "Writes and logs pushes received by the gateway, per tenant and status code.",
      labelNames: ["tenant", "code"],
      registers: [env.metrics],
    });
    this.#handshakeFailures = new Counter({
      name: "mirador_gateway_tls_handshake_failures_total",
      help: "TLS handshakes the gateway refused (no, foreign, expired, revoked or invalid client certificate).",
      registers: [env.metrics],
    });
  }

  /** The port the gateway listens on (useful when configured as 0). */
  get port(): number {
    return this.#port;
  }

  /** The TLS material; available once started. */
  get tls(): GatewayTls {
    if (this.#tls === undefined) throw new Error("gateway role is not started");
    return this.#tls;
  }

  async start(): Promise<void> {
    const cfg = this.env.config.gateway;
    const { service, ca } = this.registry;
    const logger = this.env.logger.child({ role: "gateway" });
    this.#service = service;
    this.#control = new AgentControl({ service, now: this.#now, stopping: this.#stopping.signal });
    const tls = new GatewayTls({
      ca,
      service,
      serving: new ServingCertificate(
        join(this.env.config.data_dir, "gateway"),
        ca,
        cfg.hosts,
        cfg.serving_cert_lifetime,
      ),
      logger,
      now: this.#now,
    });
    this.#tls = tls;
    // Subscribed before the first CRL is built, so that no revocation falls between the two.
    this.#unsubscribe = service.onChange((event) => this.#onRegistryEvent(event));
    try {
      await this.#serve(tls, logger);
    } catch (err) {
      await this.stop(); // a role that fails to start is not stopped by the lifecycle
      throw err;
    }
  }

  /** Builds the TLS material, registers the routes and listens. */
  async #serve(tls: GatewayTls, logger: Logger): Promise<void> {
    const cfg = this.env.config.gateway;
    await tls.prepare();
    this.#service!.setTrafficSource((cluster) => this.#traffic.status(cluster));

    const router = new Router();
    const control = this.#control!;
    const agentRoutes: [string, string, (r: RouteRequest, c: Cluster) => Promise<void>][] = [
      ["POST", "/api/v1/push", (r, c) => this.#handleWrite(r, c)],
      ["POST", "/api/v1/write", (r, c) => this.#handleWrite(r, c)],
      ["POST", "/loki/api/v1/push", (r, c) => this.#handleLogs(r, c)],
      ["POST", "/api/prom/push", (r, c) => this.#handleLogs(r, c)],
      ["GET", "/agent/v1/config", (r, c) => control.config(r, c.name)],
      ["POST", "/agent/v1/heartbeat", (r, c) => control.heartbeat(r, c.name)],
      ["POST", "/agent/v1/certificate", (r, c) => control.certificate(r, c.name)],
    ];
    for (const [method, path, handler] of agentRoutes) {
      const write = path.startsWith("/api/") || path.startsWith("/loki/");
      router.on(method, path, this.#authenticated(handler, write), { errors: "text" });
    }
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
      logger,
      metrics: this.env.metrics,
      tls: { ...tls.contextOptions(), requestCert: true, rejectUnauthorized: true },
    });
    // HttpServer types its server as http.Server; with `tls` it is an https.Server, a tls.Server.
    tls.attach(this.#server.server as unknown as TlsServer);
    this.#server.server.on("tlsClientError", (err: Error) => {
      this.#handshakeFailures.inc();
      logger.debug("gateway refused a TLS handshake", { err });
    });
    this.#port = await this.#server.listen(cfg.listen_address, cfg.port);
    logger.info("gateway listening", { address: `https://${cfg.listen_address}:${this.#port}` });
  }

  async stop(): Promise<void> {
    this.#stopping.abort(new Error("gateway stopping"));
    this.#unsubscribe?.();
    this.#tls?.close();
    this.#service?.setTrafficSource(() => undefined);
    await this.#server?.close(this.env.config.server.shutdown_grace);
  }

  ready(): boolean {
    return this.#server?.server.listening ?? false;
  }

  /**
   * Wraps a handler with the checks every agent request passes: a certificate naming a registered
   * cluster, not being removed, not revoked since the connection opened; then notes the request
   * with the registry (`touch`). A {@link GatewayRefusal} thrown anywhere is answered and counted.
   */
  #authenticated(handler: (r: RouteRequest, cluster: Cluster) => Promise<void>, write = false): Handler {
    return async (r) => {
      // The cluster named by the certificate, once it is known to the registry ("unknown" before).
      let tenant = "unknown";
      try {
        const peer = this.#peer(r.raw.socket as TLSSocket);
        const cluster = peer.cluster === undefined ? undefined : this.#service!.cachedCluster(peer.cluster);
        if (cluster !== undefined) tenant = cluster.name;
        await handler(r, this.#admit(peer, cluster));
      } catch (err) {
        if (!(err instanceof GatewayRefusal)) {
          if (write)
            this.#requests.inc({ tenant, code: err instanceof HttpError ? String(err.status) : "500" });
          throw err;
        }
        if (tenant !== "unknown") this.#traffic.rejected(tenant, err.reason);
        sendText(r.res, err.status, `${err.message}\n`, { ...err.headers });
      }
      if (write && r.res.headersSent) this.#requests.inc({ tenant, code: String(r.res.statusCode) });
    };
  }

  /** The client certificate of `socket`: cluster and serial, read once per connection. */
  #peer(socket: TLSSocket): Peer {
    let peer = this.#peers.get(socket);
    if (peer === undefined) {
      const serial = socket.getPeerCertificate()?.serialNumber ?? "";
      peer = { cluster: clusterIdFromTlsSocket(socket), serial: serial.toLowerCase() };
      this.#peers.set(socket, peer);
    }
    return peer;
  }

  /**
   * `cluster` (the registry's record of the cluster `peer` names) when it may send, else a 403
   * refusal; notes the request with the registry.
   */
  #admit(peer: Peer, cluster: Cluster | undefined): Cluster {
    if (cluster === undefined) {
      throw new GatewayRefusal(
        "unknown_cluster",
        "the client certificate does not name a cluster registered on this seed",
      );
    }
    const name = cluster.name;
    if (peer.serial !== "" && this.tls.isRevoked(peer.serial)) {
      throw new GatewayRefusal(
        "certificate_revoked",
        `the client certificate of cluster ${name} (serial ${peer.serial}) has been revoked; the agent needs a new one`,
        { connection: "close" },
      );
    }
    if (cluster.state === "removing") {
      throw new GatewayRefusal(
        "cluster_removing",
        `cluster ${name} is being removed from this seed${cluster.deleteAfter ? ` (its data is deleted after ${cluster.deleteAfter})` : ""}; nothing more is accepted from it`,
      );
    }
    this.#service!.touch(name);
    return cluster;
  }

  /** A remote-write request: flow switch, body size, samples/s, then the ingest. */
  async #handleWrite(r: RouteRequest, cluster: Cluster): Promise<void> {
    const name = cluster.name;
    const limits = effectiveLimits(this.env.config.gateway.default_limits, cluster.limits);
    if (!cluster.metricsEnabled) {
      throw new GatewayRefusal(
        "flow_disabled",
        `metrics are switched off for cluster ${name}: the agent must stop collecting and buffering them ` +
          `until an admin switches them on again (\`mirador cluster enable ${name} --metrics\`)`,
        { "mirador-flow": "metrics" },
      );
    }
    // A cluster with nothing left in its bucket is refused before its body is read or decoded.
    this.#limiter.checkSamplesLeft(name, limits, this.#now());
    const body = await this.#readBody(r, name, limits, {
      max: this.env.config.metrics.max_write_body_bytes,
      setting: "metrics.max_write_body_bytes",
    });
    this.#traffic.received(name, "metrics", body.length);
    let admitted = 0;
    // The tenant is the certificate's cluster; a tenant header from the client is never looked at.
    const result = await this.forwarder.forward(
      name,
      r.raw.headers["content-type"],
      r.raw.headers["content-encoding"],
      body,
      (samples) => {
        this.#limiter.takeSamples(name, limits, samples, this.#now());
        admitted = samples;
      },
    );
    if (result.status === 429 || result.status >= 500) {
      // Not kept: the agent sends the same samples again, which must not pay twice.
      this.#limiter.refundSamples(name, admitted, this.#now());
      this.#traffic.rejected(name, result.status === 429 ? "ingest_rate_limited" : "ingest_unavailable");
    } else {
      // 2xx, or a 400 listing refused samples while the rest was kept.
      if (result.status < 300 || admitted > 0) this.#traffic.pushed(name, admitted);
      if (result.status >= 400) this.#traffic.rejected(name, "ingest_refused");
    }
    r.res.writeHead(result.status, { "content-type": "text/plain; charset=utf-8", ...result.headers });
    r.res.end(result.body);
  }

  /**
   * A Loki push (`/loki/api/v1/push`, `/api/prom/push`): flow switch, body size, log bytes/s, then
   * the logs ingest. The tenant is the certificate's cluster; the agent's `X-Scope-OrgID` is never
   * looked at.
   */
  async #handleLogs(r: RouteRequest, cluster: Cluster): Promise<void> {
    const name = cluster.name;
    const limits = effectiveLimits(this.env.config.gateway.default_limits, cluster.limits);
    if (!cluster.logsEnabled) {
      throw new GatewayRefusal(
        "flow_disabled",
        `logs are switched off for cluster ${name}: the agent must stop collecting and buffering them ` +
          `until an admin switches them on again (\`mirador cluster enable ${name} --logs\`)`,
        { "mirador-flow": "logs" },
      );
    }
    const forwarder = this.#logForwarder;
    if (forwarder === undefined) {
      throw new HttpError(
        "unavailable",
        "this gateway has no logs ingest: run the logs role in its process, or set gateway.logs_forward_url " +
          "to the logs role's /loki/api/v1/push URL",
      );
    }
    // A cluster with nothing left in its bucket is refused before its body is read or decoded.
    this.#limiter.checkLogBytesLeft(name, limits, this.#now());
    const body = await this.#readBody(r, name, limits, {
      max: this.env.config.logs.max_push_body_bytes,
      setting: "logs.max_push_body_bytes",
    });
    this.#traffic.received(name, "logs", body.length);
    let admitted = 0;
    const result = await forwarder.forward(
      name,
      r.raw.headers["content-type"],
      r.raw.headers["content-encoding"],
      body,
      (lineBytes) => {
        this.#limiter.takeLogBytes(name, limits, lineBytes, this.#now());
        admitted = lineBytes;
      },
    );
    if (result.status === 429 || result.status >= 500) {
      // Not kept: the agent sends the same lines again, which must not pay twice.
      this.#limiter.refundLogBytes(name, admitted, this.#now());
      this.#traffic.rejected(name, result.status === 429 ? "ingest_rate_limited" : "ingest_unavailable");
    } else {
      // 2xx, or a 400 listing refused entries while the rest was kept.
      if (result.status < 300 || admitted > 0) this.#traffic.pushedLogs(name, admitted);
      if (result.status >= 400) this.#traffic.rejected(name, "ingest_refused");
    }
    r.res.writeHead(result.status, { "content-type": "text/plain; charset=utf-8", ...result.headers });
    r.res.end(result.body);
  }

  /**
   * Reads a write's or push's body, refusing it (413, connection closed) as soon as it passes the
   * cluster's `max_body_bytes` or the ingest's own limit (`ingest.setting`, e.g.
   * `metrics.max_write_body_bytes`), whichever is smaller.
   */
  async #readBody(
    r: RouteRequest,
    cluster: string,
    limits: ClusterLimits,
    ingest: { readonly max: number; readonly setting: string },
  ): Promise<Buffer> {
    const byCluster = limits.max_body_bytes > 0 && limits.max_body_bytes <= ingest.max;
    const max = byCluster ? limits.max_body_bytes : ingest.max;
    const setting = byCluster
      ? `the cluster's max_body_bytes (\`${clusterUpdateHint(cluster, "max-body-bytes")} N\`, or gateway.default_limits.max_body_bytes for every cluster)`
      : ingest.setting;
    try {
      return await readBody(r.raw, max, setting);
    } catch (err) {
      if (!(err instanceof HttpError && err.code === "too_large")) throw err;
      throw new GatewayRefusal("body_too_large", `cluster ${cluster}: ${err.message}`, {
        connection: "close",
      });
    }
  }

  #onRegistryEvent(event: RegistryEvent): Promise<void> | undefined {
    if (event.kind === "revoked") {
      return this.#tls?.reloadRevocations().catch((err) =>
        this.env.logger.error("gateway could not install the new CRL; revoked certificates still connect", {
          role: "gateway",
          err,
        }),
      );
    } else if (event.kind === "cluster" && this.#service?.cachedCluster(event.name) === undefined) {
      this.#limiter.forget(event.name);
      this.#traffic.forget(event.name);
      this.#control?.forget(event.name);
    }
    return undefined;
  }
}
