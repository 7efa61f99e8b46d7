// @peculiar/x509 needs the Reflect metadata API installed before it loads (see registry/ca/authority.ts).
import "reflect-metadata";

import { webcrypto } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { type Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import * as x509 from "@peculiar/x509";
import { Registry as MetricsRegistry } from "prom-client";
import { nopLogger } from "../lib/log/logger.js";
import {
  type AgentRemoteConfig,
  type AgentRemoteConfigBody,
  type AgentReport,
  CertificateAuthority,
  type Cluster,
  type ClusterTraffic,
  RegistryError,
  type RegistryEvent,
  type RevocationReason,
  type SignedClusterCertificate,
} from "../registry/index.js";
import { Router } from "../server/http/router.js";
import type { RoleEnv } from "../server/role.js";
import { testConfig } from "../test-support/seed.js";
import type { WriteForwarder } from "./forwarder.js";
import type { GatewayRegistry, GatewayRegistryService } from "./gateway-registry.js";
import { GatewayRole } from "./gateway-role.js";
import type { LogForwarder } from "./log-forwarder.js";

/** A clock the test moves by hand, in Unix ms. */
export class FakeClock {
  constructor(public ms = Date.now()) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

interface Waiter {
  readonly cluster: string;
  readonly resolve: (cfg: AgentRemoteConfig | undefined) => void;
}

/**
 * An in-memory registry service with the operations the gateway calls, following their contracts
 * in `src/registry/model.ts`, and what tests need to change its state (each change emits the event
 * the real registry would). Certificates are signed by a real CA.
 */
export class FakeRegistryService implements GatewayRegistryService {
  readonly #clusters = new Map<string, Cluster>();
  readonly #configs = new Map<string, AgentRemoteConfig>();
  readonly #revoked: { serial: string; revokedAt: string; reason: RevocationReason }[] = [];
  readonly #listeners = new Set<(e: RegistryEvent) => void | Promise<void>>();
  readonly #waiters = new Set<Waiter>();
  #traffic: (cluster: string) => ClusterTraffic | undefined = () => undefined;
  /** Every heartbeat recorded, oldest first. */
  readonly heartbeats: AgentReport[] = [];
  /** Every `touch`, oldest first. */
  readonly touched: string[] = [];
  /** Calls of `renewCertificate`. */
  renewals = 0;

  constructor(private readonly ca: CertificateAuthority) {}

  /** Registers `name` (active, both flows on, no limits of its own) with `fields` on top. */
  add(name: string, fields: Partial<Cluster> = {}): Cluster {
    const at = new Date().toISOString();
    const cluster: Cluster = {
      name,
      project: "p",
      labels: {},
      seed: "local",
      metricsEnabled: true,
      logsEnabled: true,
      limits: {},
      state: "active",
      createdAt: at,
      updatedAt: at,
      desiredConfigVersion: 1,
      ...fields,
    };
    this.#clusters.set(name, cluster);
    this.#configs.set(name, {
      version: 1,
      cluster: name,
      flows: { metrics: cluster.metricsEnabled, logs: cluster.logsEnabled },
      certificateGeneration: 1,
      body: { scrape_configs: [] },
    });
    this.#emit({ kind: "cluster", name });
    return cluster;
  }

  /** Changes fields of a cluster's record. */
  update(name: string, fields: Partial<Cluster>): void {
    const c = this.#clusters.get(name);
    if (!c) throw new Error(`no cluster ${name}`);
    this.#clusters.set(name, { ...c, ...fields });
    this.#emit({ kind: "cluster", name });
  }

  /** Forgets a cluster entirely. */
  delete(name: string): void {
    this.#clusters.delete(name);
    this.#emit({ kind: "cluster", name });
  }

  /** Revokes a certificate by serial. */
  revoke(serial: string): void {
    this.#revoked.push({ serial, revokedAt: new Date().toISOString(), reason: "keyCompromise" });
    this.#emit({ kind: "revoked" });
  }

  /** Replaces a cluster's config body (a new version), waking its long polls. */
  setConfig(name: string, body: AgentRemoteConfigBody): AgentRemoteConfig {
    const old = this.#config(name);
    const cfg = { ...old, version: old.version + 1, body };
    this.#configs.set(name, cfg);
    for (const w of this.#waiters) if (w.cluster === name) w.resolve(cfg);
    this.#emit({ kind: "config", name });
    return cfg;
  }

  /** Long polls waiting now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** What the traffic source says of `cluster`. */
  traffic(cluster: string): ClusterTraffic | undefined {
    return this.#traffic(cluster);
  }

  cachedCluster(name: string): Cluster | undefined {
    return this.#clusters.get(name);
  }

  async revokedSerials() {
    return [...this.#revoked];
  }

  onChange(listener: (event: RegistryEvent) => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  touch(cluster: string): void {
    this.touched.push(cluster);
  }

  setTrafficSource(source: (cluster: string) => ClusterTraffic | undefined): void {
    this.#traffic = source;
  }

  async getAgentConfig(cluster: string): Promise<AgentRemoteConfig> {
    return this.#config(cluster);
  }

  waitAgentConfig(
    cluster: string,
    knownVersion: number,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<AgentRemoteConfig | undefined> {
    const now = this.#config(cluster);
    if (now.version !== knownVersion) return Promise.resolve(now);
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        cluster,
        resolve: (cfg) => {
          done();
          resolve(cfg);
        },
      };
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      const timer = setTimeout(() => waiter.resolve(undefined), waitMs);
      signal.addEventListener("abort", onAbort);
      this.#waiters.add(waiter);
    });
  }

  async recordHeartbeat(report: AgentReport): Promise<void> {
    this.heartbeats.push(report);
  }

  async renewCertificate(cluster: string, csrPem: string): Promise<SignedClusterCertificate> {
    this.renewals++;
    let signed: Awaited<ReturnType<CertificateAuthority["signRequest"]>>;
    try {
      signed = await this.ca.signRequest(csrPem, cluster);
    } catch (err) {
      throw new RegistryError("invalid", `bad certificate request: ${(err as Error).message}`);
    }
    const now = new Date().toISOString();
    return {
      certificate: {
        serial: signed.serialNumber,
        cluster,
        kind: "renewal",
        notBefore: now,
        notAfter: signed.notAfter.toISOString(),
        issuedAt: now,
      },
      certPem: signed.certPem,
      caPem: this.ca.certPem,
    };
  }

  #config(cluster: string): AgentRemoteConfig {
    const cfg = this.#configs.get(cluster);
    if (!cfg) throw new RegistryError("not_found", `no cluster ${cluster}`);
    return cfg;
  }

  #emit(event: RegistryEvent): void {
    for (const l of this.#listeners) l(event);
  }
}

/** A gateway on 127.0.0.1:0 with a fake registry and a real CA, for tests. */
export interface TestGateway {
  readonly gateway: GatewayRole;
  readonly registry: FakeRegistryService;
  readonly ca: CertificateAuthority;
  readonly clock: FakeClock;
  readonly env: RoleEnv;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts a gateway in front of `forwarder` (and `logForwarder` for Loki pushes, if given) with its
 * own temp data dir, CA and metrics registry. `overrides` are merged into the seed configuration
 * (e.g. `{gateway: {default_limits: {...}}}`).
 */
export async function startTestGateway(
  forwarder: WriteForwarder,
  overrides: Record<string, unknown> = {},
  clock = new FakeClock(),
  logForwarder?: LogForwarder,
): Promise<TestGateway> {
  const config = testConfig(overrides);
  const ca = await CertificateAuthority.loadOrCreate(join(config.data_dir, "ca"));
  const registry = new FakeRegistryService(ca);
  const env: RoleEnv = { config, logger: nopLogger, metrics: new MetricsRegistry(), router: new Router() };
  const source: GatewayRegistry = { service: registry, ca };
  const gateway = new GatewayRole(env, source, forwarder, {
    now: clock.now,
    ...(logForwarder && { logForwarder }),
  });
  await gateway.start();
  return {
    gateway,
    registry,
    ca,
    clock,
    env,
    port: gateway.port,
    stop: async () => {
      await gateway.stop();
      rmSync(config.data_dir, { recursive: true, force: true });
    },
  };
}

/** A client identity: certificate and key, PEM. */
export type Identity = { readonly certPem: string; readonly keyPem: string };

/** What a request to the gateway got: an answer, or the error of a refused handshake. */
export type Answer =
  | {
      readonly status: number;
      readonly headers: Readonly<Record<string, string | string[] | undefined>>;
      readonly text: string;
      /** Serial of the certificate the gateway served, lowercase hex. */
      readonly servedSerial: string;
      /** Whether the request went over a connection opened for an earlier one. */
      readonly reused: boolean;
    }
  | { readonly error: string };

/** Options of {@link call}. */
export interface CallOptions {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array | string;
  /** A keep-alive agent to reuse connections; a new connection per call without it. */
  readonly agent?: Agent;
  /** Aborts the request (to test a client that goes away). */
  readonly signal?: AbortSignal;
}

/** Sends one request to the gateway on `port` with `identity` (none: no client certificate). */
export function call(
  port: number,
  caPem: string,
  identity: Identity | undefined,
  opts: CallOptions = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: opts.method ?? "GET",
        path: opts.path ?? "/",
        ca: caPem,
        ...(identity && { cert: identity.certPem, key: identity.keyPem }),
        headers: opts.headers ?? {},
        agent: opts.agent ?? false,
        ...(opts.signal && { signal: opts.signal }),
      },
      (res) => {
        // Read now: a keep-alive agent takes the socket back once the body has been read.
        const servedSerial = (
          (res.socket as TLSSocket).getPeerCertificate().serialNumber ?? ""
        ).toLowerCase();
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            servedSerial,
            reused: req.reusedSocket,
          });
        });
      },
    );
    req.on("error", (err) => resolve({ error: err.message }));
    req.end(opts.body);
  });
}

/** A new P-256 key and a PKCS#10 request for it (subject `subject`), both PEM. */
export async function certificateRequest(
  subject = "CN=whatever",
): Promise<{ csrPem: string; keyPem: string }> {
  const alg = { name: "ECDSA", namedCurve: "P-256" } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: subject, keys, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } },
    webcrypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  return {
    csrPem: csr.toString("pem"),
    keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)?.join("\n")}\n-----END PRIVATE KEY-----\n`,
  };
}

/** A fresh temp directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
