import { X509Certificate } from "node:crypto";
import type { Logger } from "../lib/log/logger.js";
import type { ServerConfig } from "../server/config.js";
import { checkAgentConfigBody } from "./agent-config-body.js";
import { CaError, type CertificateAuthority } from "./ca/index.js";
import {
  checkDescription,
  checkFlow,
  checkLabels,
  checkLimits,
  checkName,
  checkSeed,
} from "./cluster-fields.js";
import { ConfigWaiters } from "./config-waiters.js";
import { Janitor, type TenantDataDeleter } from "./janitor.js";
import { LastSeenBatcher } from "./last-seen.js";
import {
  type AgentRemoteConfig,
  type AgentRemoteConfigBody,
  type AgentReport,
  type CertificateRecord,
  type Cluster,
  type ClusterLimits,
  type ClusterSpec,
  type ClusterStatus,
  type ClusterTraffic,
  type Flow,
  type IssuedBundleCertificate,
  type Project,
  RegistryError,
  type RegistryEvent,
  type RegistryService,
  type RevocationReason,
  type SignedClusterCertificate,
} from "./model.js";
import { newClusterRecords } from "./new-cluster.js";
import { checkReport } from "./report-fields.js";
import type { AgentConfigRow, ClusterChange, ClusterRow, RegistryStore } from "./store/store.js";
import { RegistryStoreError } from "./store/store.js";
import { WriteQueue } from "./write-queue.js";

export type { TenantDataDeleter } from "./janitor.js";

const REASONS: readonly RevocationReason[] = [
  "unspecified",
  "keyCompromise",
  "superseded",
  "cessationOfOperation",
];

/** What {@link Registry.open} needs. */
export interface RegistryOptions {
  readonly store: RegistryStore;
  readonly ca: CertificateAuthority;
  readonly config: ServerConfig["registry"];
  /** The gateway's limits for clusters that set none (see {@link Registry.effectiveLimits}). */
  readonly defaultLimits: ServerConfig["gateway"]["default_limits"];
  readonly logger: Logger;
  /** The clock; the system clock by default. Tests pass a fake one. */
  readonly now?: () => Date;
}

/**
 * The registry service over a {@link RegistryStore}: projects, clusters, their certificates and
 * agent configurations. It is the store's only writer in this process; its writes run one at a
 * time, so a read-change-write of a cluster never interleaves with another.
 *
 * Events (`onChange`): `cluster` after a change of a cluster's record other than its config
 * version alone (added, labels, limits, flows, seed, removing, deleted); `config` whenever its
 * desired config version grows (config body, flows, rotation); `revoked` after any certificate was
 * revoked. A flow switch emits both `cluster` and `config`. Listeners run synchronously after the
 * write committed; what they throw is logged and swallowed.
 *
 * Timers: the janitor (`startJanitor`) and the batching of `touch` writes are unref'd; `close()`
 * stops both, writes pending last-seen times and ends waiting config polls with `undefined`.
 */
export class Registry implements RegistryService {
  readonly #store: RegistryStore;
  readonly #ca: CertificateAuthority;
  readonly #config: ServerConfig["registry"];
  readonly #defaultLimits: ClusterLimits;
  readonly #log: Logger;
  readonly #now: () => Date;

  /** Every cluster as last written, for synchronous lookups (the gateway's hot path). */
  readonly #cache = new Map<string, Cluster>();
  readonly #listeners = new Set<(event: RegistryEvent) => void | Promise<void>>();
  /** Promises returned by listeners, awaited by operations that revoke (see {@link onChange}). */
  readonly #listening = new Set<Promise<void>>();
  readonly #waiters = new ConfigWaiters();
  #traffic: ((cluster: string) => ClusterTraffic | undefined) | undefined;
  readonly #writes = new WriteQueue();
  readonly #janitor: Janitor;
  readonly #lastSeen: LastSeenBatcher;
  #closed = false;

  private constructor(opts: RegistryOptions) {
    this.#store = opts.store;
    this.#ca = opts.ca;
    this.#config = opts.config;
    this.#defaultLimits = { ...opts.defaultLimits };
    this.#log = opts.logger.child({ role: "registry" });
    this.#now = opts.now ?? (() => new Date());
    this.#lastSeen = new LastSeenBatcher(
      (entries) => this.#serial(() => this.#store.setLastSeen(entries)),
      this.#log,
    );
    this.#janitor = new Janitor(
      {
        store: this.#store,
        log: this.#log,
        now: () => this.#nowIso(),
        serial: (task) => this.#serial(task),
        emit: (event) => this.#emit(event),
        clusters: () => this.#cache.values(),
        forget: (name) => {
          this.#cache.delete(name);
          this.#lastSeen.forget(name);
        },
      },
      opts.config.janitor_interval,
    );
  }

  /** Builds the service over an open store, loading its clusters into the in-memory lookup. */
  static async open(opts: RegistryOptions): Promise<Registry> {
    const registry = new Registry(opts);
    for (const row of await opts.store.listClusters()) registry.#cache.set(row.name, publicCluster(row));
    return registry;
  }

  // ---- projects

  async listProjects(): Promise<Project[]> {
    return this.#store.listProjects();
  }

  async getProject(name: string): Promise<Project | undefined> {
    return this.#store.getProject(name);
  }

  async createProject(name: string, description = ""): Promise<Project> {
    const project: Project = {
      name: checkName("project", name),
      description: checkDescription(description),
      createdAt: this.#nowIso(),
    };
    return this.#serial(async () => {
      await this.#store.insertProject(project).catch(storeError);
      this.#log.info("project created", { project: name });
      return project;
    });
  }

  async deleteProject(name: string): Promise<void> {
    await this.#serial(async () => {
      if (!(await this.#store.deleteProject(name).catch(storeError))) {
        throw new RegistryError("not_found", `project ${JSON.stringify(name)} does not exist`);
      }
      this.#log.info("project deleted", { project: name });
    });
  }

  // ---- clusters

  async listClusters(project?: string): Promise<Cluster[]> {
    return (await this.#store.listClusters(project)).map(publicCluster);
  }

  async getCluster(name: string): Promise<Cluster | undefined> {
    const row = await this.#store.getCluster(name);
    return row === undefined ? undefined : publicCluster(row);
  }

  /**
   * The cluster `name` as this registry last wrote it (lastSeenAt as last touched), without I/O:
   * for the gateway's per-request check. Undefined when there is no such cluster.
   */
  cachedCluster(name: string): Cluster | undefined {
    return this.#cache.get(name);
  }

  /** The limits the gateway applies to `cluster`: its own, the rest from `gateway.default_limits`. */
  effectiveLimits(cluster: Pick<Cluster, "limits">): ClusterLimits {
    return { ...this.#defaultLimits, ...cluster.limits };
  }

  async addCluster(
    name: string,
    spec: ClusterSpec,
  ): Promise<{ cluster: Cluster; issued: IssuedBundleCertificate }> {
    checkName("cluster", name);
    if (typeof spec?.project !== "string") throw new RegistryError("invalid", "a cluster needs a project");
    const fields = {
      project: spec.project,
      labels: spec.labels === undefined ? {} : checkLabels(spec.labels, "labels"),
      seed: spec.seed === undefined ? this.#config.seed_name : checkSeed(spec.seed),
      limits: spec.limits === undefined ? {} : checkLimits(spec.limits),
      metricsEnabled: spec.metricsEnabled === undefined ? true : checkFlow("metrics", spec.metricsEnabled),
      logsEnabled: spec.logsEnabled === undefined ? true : checkFlow("logs", spec.logsEnabled),
    };
    return this.#serial(async () => {
      const existing = await this.#store.getCluster(name);
      if (existing !== undefined) {
        throw new RegistryError(
          "conflict",
          existing.state === "removing"
            ? `cluster ${JSON.stringify(name)} is being removed; its name is free once its data is deleted, after ${existing.deleteAfter} (registry.removal_grace)`
            : `cluster ${JSON.stringify(name)} exists`,
        );
      }
      if ((await this.#store.getProject(fields.project)) === undefined) {
        throw new RegistryError(
          "not_found",
          `project ${JSON.stringify(fields.project)} does not exist; create it first`,
        );
      }
      const at = this.#nowIso();
      const { cluster, config } = newClusterRecords(name, fields, at);
      const issued = await this.#issueBundle(name, at);
      await this.#store
        .insertCluster({ cluster, config, certificates: [issued.certificate] })
        .catch(storeError);
      this.#remember(cluster);
      this.#log.info("cluster added", {
        cluster: name,
        project: fields.project,
        serial: issued.certificate.serial,
      });
      this.#emit({ kind: "cluster", name });
      return { cluster: publicCluster(cluster), issued };
    });
  }

  async updateCluster(name: string, patch: Partial<Omit<ClusterSpec, "project">>): Promise<Cluster> {
    if (typeof patch !== "object" || patch === null) throw new RegistryError("invalid", "nothing to update");
    if ("project" in patch) throw new RegistryError("invalid", "a cluster's project cannot change");
    const labels = patch.labels === undefined ? undefined : checkLabels(patch.labels, "labels");
    const limits = patch.limits === undefined ? undefined : checkLimits(patch.limits);
    const seed = patch.seed === undefined ? undefined : checkSeed(patch.seed);
    const metrics =
      patch.metricsEnabled === undefined ? undefined : checkFlow("metrics", patch.metricsEnabled);
    const logs = patch.logsEnabled === undefined ? undefined : checkFlow("logs", patch.logsEnabled);
    return this.#serial(async () => {
      const row = await this.#activeCluster(name, "changed");
      const next: ClusterRow = {
        ...row,
        ...(labels === undefined ? {} : { labels }),
        ...(limits === undefined ? {} : { limits }),
        ...(seed === undefined ? {} : { seed }),
        ...(metrics === undefined ? {} : { metricsEnabled: metrics }),
        ...(logs === undefined ? {} : { logsEnabled: logs }),
      };
      if (sameRecord(row, next)) return publicCluster(row);
      const flowsChanged = next.metricsEnabled !== row.metricsEnabled || next.logsEnabled !== row.logsEnabled;
      const change = flowsChanged
        ? await this.#nextConfig({ ...next, updatedAt: this.#nowIso() })
        : { cluster: { ...next, updatedAt: this.#nowIso() } };
      await this.#update(change);
      this.#emit({ kind: "cluster", name });
      if (flowsChanged) this.#emit({ kind: "config", name });
      return publicCluster(change.cluster);
    });
  }

  async setFlows(name: string, flows: Partial<Record<Flow, boolean>>): Promise<Cluster> {
    if (typeof flows !== "object" || flows === null) throw new RegistryError("invalid", "no flows given");
    for (const key of Object.keys(flows)) {
      if (key !== "metrics" && key !== "logs") {
        throw new RegistryError(
          "invalid",
          `unknown flow ${JSON.stringify(key)}; the flows are metrics and logs`,
        );
      }
    }
    return this.updateCluster(name, {
      ...(flows.metrics === undefined ? {} : { metricsEnabled: flows.metrics }),
      ...(flows.logs === undefined ? {} : { logsEnabled: flows.logs }),
    });
  }

  async removeCluster(name: string): Promise<Cluster> {
    return this.#thenListeners(async () => {
      const row = await this.#cluster(name);
      if (row.state === "removing") return publicCluster(row);
      const now = this.#now();
      const revoked = (await this.#store.listCertificates(name))
        .filter((c) => c.revokedAt === undefined)
        .map((c) => revoke(c, now.toISOString(), "cessationOfOperation"));
      const cluster: ClusterRow = {
        ...row,
        state: "removing",
        updatedAt: now.toISOString(),
        deleteAfter: new Date(now.getTime() + this.#config.removal_grace).toISOString(),
      };
      await this.#update({ cluster, certificates: revoked });
      this.#log.info("cluster removed; data deleted after the grace period", {
        cluster: name,
        deleteAfter: cluster.deleteAfter,
        revoked: revoked.length,
      });
      this.#emit({ kind: "cluster", name });
      if (revoked.length > 0) this.#emit({ kind: "revoked" });
      return publicCluster(cluster);
    });
  }

  // ---- certificates

  async listCertificates(cluster: string): Promise<CertificateRecord[]> {
    return this.#certificatesOf(await this.#cluster(cluster));
  }

  async issueBundleCertificate(cluster: string): Promise<IssuedBundleCertificate> {
    return this.#serial(async () => {
      await this.#activeCluster(cluster, "issued a certificate");
      const issued = await this.#issueBundle(cluster);
      await this.#store.saveCertificates([issued.certificate]);
      this.#log.info("bundle certificate issued", { cluster, serial: issued.certificate.serial });
      return issued;
    });
  }

  async rotateCertificates(cluster: string, revokeAfterMs?: number): Promise<Cluster> {
    if (revokeAfterMs !== undefined && (!Number.isSafeInteger(revokeAfterMs) || revokeAfterMs < 0)) {
      throw new RegistryError(
        "invalid",
        `revoke-after must be a whole number of milliseconds ≥ 0, got ${String(revokeAfterMs)}`,
      );
    }
    return this.#thenListeners(async () => {
      const row = await this.#activeCluster(cluster, "rotated");
      const now = this.#now();
      const nowIso = now.toISOString();
      let certificates: CertificateRecord[] = [];
      if (revokeAfterMs !== undefined) {
        const revokeAt = new Date(now.getTime() + revokeAfterMs).toISOString();
        certificates = (await this.#store.listCertificates(cluster))
          .filter((c) => c.revokedAt === undefined && (c.revokeAt === undefined || c.revokeAt > revokeAt))
          .map((c) =>
            revokeAfterMs === 0 ? revoke({ ...c, revokeAt }, nowIso, "superseded") : { ...c, revokeAt },
          );
      }
      const change = await this.#nextConfig({
        ...row,
        certificateGeneration: row.certificateGeneration + 1,
        updatedAt: nowIso,
      });
      await this.#update({ ...change, certificates });
      this.#log.info("certificate rotation requested", {
        cluster,
        generation: change.cluster.certificateGeneration,
        revokeAfterMs,
      });
      this.#emit({ kind: "config", name: cluster });
      if (revokeAfterMs === 0 && certificates.length > 0) this.#emit({ kind: "revoked" });
      return publicCluster(change.cluster);
    });
  }

  /**
   * Revokes one certificate (`serial`) or all of the cluster's now. Returns the certificates this
   * call revoked; one revoked earlier keeps its first revocation and is not returned.
   */
  async revokeCertificates(
    cluster: string,
    serial?: string,
    reason: RevocationReason = "unspecified",
  ): Promise<CertificateRecord[]> {
    if (!REASONS.includes(reason)) {
      throw new RegistryError(
        "invalid",
        `unknown revocation reason ${JSON.stringify(reason)}; use ${REASONS.join(", ")}`,
      );
    }
    return this.#thenListeners(async () => {
      await this.#cluster(cluster);
      let targets: CertificateRecord[];
      if (serial === undefined) {
        targets = await this.#store.listCertificates(cluster);
      } else {
        const cert = await this.#store.getCertificate(String(serial).toLowerCase());
        if (cert === undefined || cert.cluster !== cluster) {
          throw new RegistryError(
            "not_found",
            `cluster ${JSON.stringify(cluster)} has no certificate ${serial}`,
          );
        }
        targets = [cert];
      }
      const now = this.#nowIso();
      const revoked = targets.filter((c) => c.revokedAt === undefined).map((c) => revoke(c, now, reason));
      if (revoked.length === 0) return [];
      await this.#store.saveCertificates(revoked);
      this.#log.info("certificates revoked", { cluster, serials: revoked.map((c) => c.serial), reason });
      this.#emit({ kind: "revoked" });
      return revoked;
    });
  }

  async renewCertificate(cluster: string, csrPem: string): Promise<SignedClusterCertificate> {
    return this.#serial(async () => {
      const row = await this.#cluster(cluster);
      if (row.state !== "active") {
        throw new RegistryError(
          "forbidden",
          `cluster ${JSON.stringify(cluster)} is being removed; it gets no new certificates`,
        );
      }
      let signed: Awaited<ReturnType<CertificateAuthority["signRequest"]>>;
      try {
        signed = await this.#ca.signRequest(csrPem, cluster, {
          lifetimeMs: this.#config.client_cert_lifetime,
        });
      } catch (err) {
        if (err instanceof CaError && err.code === "BAD_CSR") throw new RegistryError("invalid", err.message);
        throw err;
      }
      const certificate = this.#record(cluster, "renewal", signed);
      await this.#store.saveCertificates([certificate]);
      this.#log.info("certificate renewed", { cluster, serial: certificate.serial });
      return { certificate, certPem: signed.certPem, caPem: this.#ca.certPem };
    });
  }

  async revokedSerials(): Promise<{ serial: string; revokedAt: string; reason: RevocationReason }[]> {
    return (await this.#store.listRevokedCertificates(this.#nowIso())).map((c) => ({
      serial: c.serial,
      revokedAt: c.revokedAt ?? c.issuedAt,
      reason: c.revocationReason ?? "unspecified",
    }));
  }

  // ---- agent configuration

  async getAgentConfig(cluster: string): Promise<AgentRemoteConfig> {
    const row = await this.#store.getAgentConfig(cluster);
    if (row === undefined) {
      throw new RegistryError("not_found", `cluster ${JSON.stringify(cluster)} does not exist`);
    }
    return publicConfig(row);
  }

  async setAgentConfig(cluster: string, body: AgentRemoteConfigBody): Promise<AgentRemoteConfig> {
    const checked = checkAgentConfigBody(body);
    return this.#serial(async () => {
      const row = await this.#activeCluster(cluster, "configured");
      const change = await this.#nextConfig({ ...row, updatedAt: this.#nowIso() }, checked);
      await this.#update(change);
      this.#log.info("agent config set", { cluster, version: change.config.version });
      this.#emit({ kind: "config", name: cluster });
      return publicConfig(change.config);
    });
  }

  /**
   * Resolves with the cluster's config once its version differs from `knownVersion` (at once when
   * it already does), or with `undefined` after `waitMs` or when the registry closes. Rejects with
   * `signal.reason` when `signal` aborts, and with `not_found` for an unknown cluster. Leaves no
   * timer or listener behind however it ends.
   */
  async waitAgentConfig(
    cluster: string,
    knownVersion: number,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<AgentRemoteConfig | undefined> {
    return this.#waiters.wait({
      cluster,
      waitMs: this.#closed ? 0 : waitMs,
      signal,
      // Asked on registration and after each config event for the cluster.
      check: async () => {
        const config = await this.getAgentConfig(cluster);
        return config.version !== knownVersion ? config : undefined;
      },
    });
  }

  /** Config polls waiting in `waitAgentConfig` now. */
  get waitingConfigPolls(): number {
    return this.#waiters.size;
  }

  // ---- agents

  async recordHeartbeat(report: AgentReport): Promise<void> {
    const checked = checkReport(report);
    if (!(await this.#store.putAgentReport(checked))) {
      throw new RegistryError("not_found", `cluster ${JSON.stringify(report.cluster)} does not exist`);
    }
    const at = new Date(checked.receivedAt);
    this.touch(checked.cluster, Number.isNaN(at.getTime()) ? undefined : at);
  }

  /**
   * Notes traffic from `cluster` at `at` (now by default): the in-memory record at once, the store
   * at most once per 10 s per cluster, batched with other clusters' into one
   * write a second later (`LastSeenBatcher`). Unknown clusters are ignored; never throws.
   */
  touch(cluster: string, at?: Date): void {
    try {
      const known = this.#cache.get(cluster);
      if (known === undefined || this.#closed) return;
      const when = at ?? this.#now();
      const iso = when.toISOString();
      if (known.lastSeenAt !== undefined && known.lastSeenAt >= iso) return;
      this.#cache.set(cluster, { ...known, lastSeenAt: iso });
      this.#lastSeen.note(cluster, when);
    } catch (err) {
      this.#log.warn("touch failed", { cluster, err });
    }
  }

  /** Writes the last-seen times `touch` collected now, in one transaction. Never rejects. */
  flushLastSeen(): Promise<void> {
    return this.#lastSeen.flush();
  }

  async getStatus(cluster: string): Promise<ClusterStatus> {
    const row = await this.#cluster(cluster);
    const agent = await this.#store.getAgentReport(cluster);
    let traffic: ClusterTraffic | undefined;
    try {
      traffic = this.#traffic?.(cluster);
    } catch (err) {
      this.#log.warn("traffic source failed", { cluster, err });
    }
    return {
      cluster,
      desiredConfigVersion: row.desiredConfigVersion,
      ...(agent === undefined ? {} : { appliedConfigVersion: agent.appliedConfigVersion, agent }),
      ...(traffic === undefined ? {} : { traffic }),
    };
  }

  onChange(listener: (event: RegistryEvent) => void | Promise<void>): () => void {
    const own = (event: RegistryEvent) => listener(event);
    this.#listeners.add(own);
    return () => this.#listeners.delete(own);
  }

  setTrafficSource(source: (cluster: string) => ClusterTraffic | undefined): void {
    this.#traffic = source;
  }

  // ---- removal and the janitor

  /**
   * Registers what deletes a tenant's data in another role, under `name` (one per name). The
   * janitor calls every deleter for a removed cluster whose grace has passed, then deletes its
   * records. Returns the function that unregisters it.
   */
  addTenantDeleter(name: string, deleter: TenantDataDeleter): () => void {
    return this.#janitor.addTenantDeleter(name, deleter);
  }

  /** Runs the janitor every `registry.janitor_interval` until `stopJanitor()` (an unref'd timer). */
  startJanitor(): void {
    if (!this.#closed) this.#janitor.start();
  }

  stopJanitor(): void {
    this.#janitor.stop();
  }

  /**
   * One janitor pass (see `Janitor`): due scheduled revocations, removed clusters whose grace has
   * passed, expired certificates of deleted clusters. A pass already running is joined. Never rejects.
   */
  runJanitor(): Promise<void> {
    return this.#janitor.run();
  }

  /**
   * Stops the janitor and the touch timer, writes pending last-seen times, ends waiting config
   * polls with `undefined` and waits for writes in flight. The store stays open (its owner closes it).
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.stopJanitor();
    this.#waiters.endAll();
    await this.#lastSeen.flush();
    await this.#janitor.idle();
    await this.#writes.idle();
  }

  // ---- internals

  #nowIso(): string {
    return this.#now().toISOString();
  }

  /** Runs `task` after every write queued before it. */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    return this.#writes.run(task);
  }

  /**
   * Runs `op` as one serial step, then waits for the listeners it woke: a revocation resolves once
   * an in-process gateway has installed its new CRL, so the next handshake is already refused.
   */
  async #thenListeners<T>(op: () => Promise<T>): Promise<T> {
    const out = await this.#serial(op);
    await Promise.all([...this.#listening]);
    return out;
  }

  #emit(event: RegistryEvent): void {
    if (event.kind === "config") this.#waiters.notify(event.name);
    for (const listener of this.#listeners) {
      try {
        const done = listener(event);
        if (done instanceof Promise) {
          const settled = done.then(
            () => {},
            (err: unknown) => this.#log.warn("a registry change listener failed", { event: event.kind, err }),
          );
          this.#listening.add(settled);
          void settled.finally(() => this.#listening.delete(settled));
        }
      } catch (err) {
        this.#log.warn("a registry change listener failed", { event: event.kind, err });
      }
    }
  }

  async #cluster(name: string): Promise<ClusterRow> {
    const row = await this.#store.getCluster(name);
    if (row === undefined)
      throw new RegistryError("not_found", `cluster ${JSON.stringify(name)} does not exist`);
    return row;
  }

  async #activeCluster(name: string, verb: string): Promise<ClusterRow> {
    const row = await this.#cluster(name);
    if (row.state !== "active") {
      throw new RegistryError(
        "conflict",
        `cluster ${JSON.stringify(name)} is being removed (data deleted after ${row.deleteAfter}) and cannot be ${verb}`,
      );
    }
    return row;
  }

  /**
   * The certificates of this cluster, not of an earlier cluster of the same name (for listing;
   * revocations take every certificate of the name, so that a clock step cannot hide one).
   */
  async #certificatesOf(row: ClusterRow): Promise<CertificateRecord[]> {
    return (await this.#store.listCertificates(row.name)).filter((c) => c.issuedAt >= row.createdAt);
  }

  /** `cluster` one config version further, with `body` (the current one when undefined). */
  async #nextConfig(
    cluster: ClusterRow,
    body?: AgentRemoteConfigBody,
  ): Promise<ClusterChange & { cluster: ClusterRow; config: AgentConfigRow }> {
    const current = await this.#store.getAgentConfig(cluster.name);
    if (current === undefined) throw new Error(`cluster ${cluster.name} has no agent config version`);
    const next: ClusterRow = { ...cluster, desiredConfigVersion: cluster.desiredConfigVersion + 1 };
    const config: AgentConfigRow = {
      cluster: cluster.name,
      version: next.desiredConfigVersion,
      flows: { metrics: next.metricsEnabled, logs: next.logsEnabled },
      certificateGeneration: next.certificateGeneration,
      body: body ?? current.body,
      createdAt: cluster.updatedAt,
    };
    return { cluster: next, config };
  }

  async #update(change: ClusterChange): Promise<void> {
    if (!(await this.#store.updateCluster(change).catch(storeError))) {
      throw new RegistryError("not_found", `cluster ${JSON.stringify(change.cluster.name)} does not exist`);
    }
    this.#remember(change.cluster);
  }

  /** Puts `row` in the lookup, keeping a later lastSeenAt that is not written yet. */
  #remember(row: ClusterRow): void {
    const cluster = publicCluster(row);
    const seen = this.#cache.get(row.name)?.lastSeenAt;
    this.#cache.set(
      row.name,
      seen !== undefined && (cluster.lastSeenAt === undefined || seen > cluster.lastSeenAt)
        ? { ...cluster, lastSeenAt: seen }
        : cluster,
    );
  }

  async #issueBundle(cluster: string, at = this.#nowIso()): Promise<IssuedBundleCertificate> {
    const issued = await this.#ca.issueClientCertificate(cluster, {
      lifetimeMs: this.#config.client_cert_lifetime,
    });
    return {
      certificate: this.#record(cluster, "bundle", issued, at),
      certPem: issued.certPem,
      keyPem: issued.keyPem,
      caPem: this.#ca.certPem,
    };
  }

  #record(
    cluster: string,
    kind: CertificateRecord["kind"],
    cert: { certPem: string; serialNumber: string; notAfter: Date },
    issuedAt = this.#nowIso(),
  ): CertificateRecord {
    return {
      serial: cert.serialNumber,
      cluster,
      kind,
      notBefore: validFrom(cert.certPem),
      notAfter: cert.notAfter.toISOString(),
      issuedAt,
    };
  }
}

/** The record other roles see: the row without what only the registry keeps. */
function publicCluster(row: ClusterRow): Cluster {
  const { certificateGeneration: _generation, ...cluster } = row;
  return cluster;
}

function publicConfig(row: AgentConfigRow): AgentRemoteConfig {
  const { createdAt: _createdAt, ...config } = row;
  return config;
}

/** Whether two rows hold the same labels, limits, seed and flows. */
function sameRecord(a: ClusterRow, b: ClusterRow): boolean {
  return (
    JSON.stringify([a.labels, a.limits, a.seed, a.metricsEnabled, a.logsEnabled]) ===
    JSON.stringify([b.labels, b.limits, b.seed, b.metricsEnabled, b.logsEnabled])
  );
}

function revoke(cert: CertificateRecord, at: string, reason: RevocationReason): CertificateRecord {
  return { ...cert, revokedAt: at, revocationReason: reason };
}

/** The start of validity of a PEM certificate, ISO 8601. */
function validFrom(certPem: string): string {
  return new Date(new X509Certificate(certPem).validFrom).toISOString();
}

/** Rethrows a store refusal as the registry error it means. */
function storeError(err: unknown): never {
  if (err instanceof RegistryStoreError) {
    if (err.code === "exists" || err.code === "in_use") throw new RegistryError("conflict", err.message);
    if (err.code === "missing") throw new RegistryError("not_found", err.message);
  }
  throw err;
}
