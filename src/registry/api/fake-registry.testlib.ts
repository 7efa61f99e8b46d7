import { randomBytes } from "node:crypto";
import { tenantIdProblem } from "../../model/tenant.js";
import {
  type AgentRemoteConfig,
  type AgentRemoteConfigBody,
  type AgentReport,
  type CertificateRecord,
  type Cluster,
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
} from "../model.js";

const DAY = 86_400_000;

/** Text that looks like a PEM block; the fake signs nothing. */
function fakePem(label: string, what: string): string {
  const body = Buffer.from(`${what} ${randomBytes(8).toString("hex")}`).toString("base64");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/**
 * An in-memory {@link RegistryService} for the API and CLI tests, following the interface's
 * contracts (errors, sorting, versions) without storage or a real CA: its PEMs are placeholders.
 */
export class FakeRegistry implements RegistryService {
  readonly caPem = fakePem("CERTIFICATE", "fake CA");
  readonly #projects = new Map<string, Project>();
  readonly #clusters = new Map<string, Cluster>();
  readonly #certs = new Map<string, CertificateRecord[]>();
  readonly #configs = new Map<string, AgentRemoteConfig>();
  readonly #reports = new Map<string, AgentReport>();
  readonly #listeners = new Set<(e: RegistryEvent) => void>();
  #traffic: (cluster: string) => ClusterTraffic | undefined = () => undefined;

  constructor(private readonly now: () => Date = () => new Date()) {}

  async listProjects(): Promise<Project[]> {
    return [...this.#projects.values()].sort((a, b) => cmp(a.name, b.name));
  }

  async getProject(name: string): Promise<Project | undefined> {
    return this.#projects.get(name);
  }

  async createProject(name: string, description = ""): Promise<Project> {
    const problem = tenantIdProblem(name);
    if (problem) throw new RegistryError("invalid", `invalid project name: ${problem}`);
    if (this.#projects.has(name)) throw new RegistryError("conflict", `project ${name} exists`);
    const p: Project = { name, description, createdAt: this.#iso() };
    this.#projects.set(name, p);
    return p;
  }

  async deleteProject(name: string): Promise<void> {
    if (!this.#projects.has(name)) throw new RegistryError("not_found", `project ${name} does not exist`);
    const left = [...this.#clusters.values()].filter((c) => c.project === name);
    if (left.length > 0)
      throw new RegistryError("conflict", `project ${name} still has clusters: ${left.map((c) => c.name)}`);
    this.#projects.delete(name);
  }

  async listClusters(project?: string): Promise<Cluster[]> {
    return [...this.#clusters.values()]
      .filter((c) => project === undefined || c.project === project)
      .sort((a, b) => cmp(a.name, b.name));
  }

  async getCluster(name: string): Promise<Cluster | undefined> {
    return this.#clusters.get(name);
  }

  async addCluster(
    name: string,
    spec: ClusterSpec,
  ): Promise<{ cluster: Cluster; issued: IssuedBundleCertificate }> {
    const problem = tenantIdProblem(name);
    if (problem) throw new RegistryError("invalid", `invalid cluster name: ${problem}`);
    if (this.#clusters.has(name)) throw new RegistryError("conflict", `cluster ${name} exists`);
    if (!this.#projects.has(spec.project))
      throw new RegistryError("not_found", `project ${spec.project} does not exist`);
    const at = this.#iso();
    const cluster: Cluster = {
      name,
      project: spec.project,
      labels: { ...spec.labels },
      seed: spec.seed ?? "local",
      metricsEnabled: spec.metricsEnabled ?? true,
      logsEnabled: spec.logsEnabled ?? true,
      limits: { ...spec.limits },
      state: "active",
      createdAt: at,
      updatedAt: at,
      desiredConfigVersion: 1,
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
    return { cluster, issued: this.#issue(name, "bundle") };
  }

  async updateCluster(name: string, patch: Partial<Omit<ClusterSpec, "project">>): Promise<Cluster> {
    const c = this.#active(name);
    const flowsChanged =
      (patch.metricsEnabled !== undefined && patch.metricsEnabled !== c.metricsEnabled) ||
      (patch.logsEnabled !== undefined && patch.logsEnabled !== c.logsEnabled);
    const next: Cluster = {
      ...c,
      ...(patch.labels !== undefined && { labels: { ...patch.labels } }),
      ...(patch.limits !== undefined && { limits: { ...patch.limits } }),
      ...(patch.metricsEnabled !== undefined && { metricsEnabled: patch.metricsEnabled }),
      ...(patch.logsEnabled !== undefined && { logsEnabled: patch.logsEnabled }),
      updatedAt: this.#iso(),
    };
    this.#clusters.set(name, next);
    if (flowsChanged) this.#bump(name, {});
    this.#emit({ kind: "cluster", name });
    return this.#clusters.get(name)!;
  }

  setFlows(name: string, flows: Partial<Record<Flow, boolean>>): Promise<Cluster> {
    return this.updateCluster(name, {
      ...(flows.metrics !== undefined && { metricsEnabled: flows.metrics }),
      ...(flows.logs !== undefined && { logsEnabled: flows.logs }),
    });
  }

  async removeCluster(name: string): Promise<Cluster> {
    const c = this.#active(name);
    await this.revokeCertificates(name, undefined, "cessationOfOperation");
    const next: Cluster = {
      ...c,
      state: "removing",
      deleteAfter: new Date(this.now().getTime() + DAY).toISOString(),
      updatedAt: this.#iso(),
    };
    this.#clusters.set(name, next);
    return next;
  }

  async listCertificates(cluster: string): Promise<CertificateRecord[]> {
    this.#get(cluster);
    return [...(this.#certs.get(cluster) ?? [])];
  }

  async issueBundleCertificate(cluster: string): Promise<IssuedBundleCertificate> {
    this.#active(cluster);
    return this.#issue(cluster, "bundle");
  }

  async rotateCertificates(cluster: string, revokeAfterMs?: number): Promise<Cluster> {
    this.#active(cluster);
    const cfg = this.#configs.get(cluster)!;
    this.#bump(cluster, { certificateGeneration: cfg.certificateGeneration + 1 });
    if (revokeAfterMs !== undefined) {
      const at = new Date(this.now().getTime() + revokeAfterMs).toISOString();
      this.#certs.set(
        cluster,
        (this.#certs.get(cluster) ?? []).map((r) => (r.revokedAt ? r : { ...r, revokeAt: at })),
      );
    }
    return this.#clusters.get(cluster)!;
  }

  async revokeCertificates(
    cluster: string,
    serial?: string,
    reason: RevocationReason = "unspecified",
  ): Promise<CertificateRecord[]> {
    this.#get(cluster);
    const records = this.#certs.get(cluster) ?? [];
    if (serial !== undefined && !records.some((r) => r.serial === serial))
      throw new RegistryError("not_found", `cluster ${cluster} has no certificate ${serial}`);
    const revoked: CertificateRecord[] = [];
    const at = this.#iso();
    this.#certs.set(
      cluster,
      records.map((r) => {
        if (r.revokedAt || (serial !== undefined && r.serial !== serial)) return r;
        const next = { ...r, revokedAt: at, revocationReason: reason };
        revoked.push(next);
        return next;
      }),
    );
    if (revoked.length > 0) this.#emit({ kind: "revoked" });
    return revoked;
  }

  async renewCertificate(cluster: string, _csrPem: string): Promise<IssuedBundleCertificate> {
    this.#active(cluster);
    return this.#issue(cluster, "renewal");
  }

  async revokedSerials(): Promise<{ serial: string; revokedAt: string; reason: RevocationReason }[]> {
    return [...this.#certs.values()]
      .flat()
      .filter((r) => r.revokedAt !== undefined)
      .map((r) => ({
        serial: r.serial,
        revokedAt: r.revokedAt!,
        reason: r.revocationReason ?? "unspecified",
      }));
  }

  async getAgentConfig(cluster: string): Promise<AgentRemoteConfig> {
    this.#get(cluster);
    return this.#configs.get(cluster)!;
  }

  async setAgentConfig(cluster: string, body: AgentRemoteConfigBody): Promise<AgentRemoteConfig> {
    this.#active(cluster);
    for (const [i, job] of body.scrape_configs.entries())
      if (typeof job.job_name !== "string")
        throw new RegistryError("invalid", `scrape_configs[${i}].job_name: expected a string`);
    return this.#bump(cluster, { body });
  }

  async waitAgentConfig(cluster: string, knownVersion: number): Promise<AgentRemoteConfig | undefined> {
    const cfg = await this.getAgentConfig(cluster);
    return cfg.version === knownVersion ? undefined : cfg;
  }

  async recordHeartbeat(report: AgentReport): Promise<void> {
    this.#get(report.cluster);
    this.#reports.set(report.cluster, report);
    this.touch(report.cluster, new Date(report.receivedAt));
  }

  touch(cluster: string, at: Date = this.now()): void {
    const c = this.#clusters.get(cluster);
    if (c) this.#clusters.set(cluster, { ...c, lastSeenAt: at.toISOString() });
  }

  async getStatus(cluster: string): Promise<ClusterStatus> {
    const c = this.#get(cluster);
    const agent = this.#reports.get(cluster);
    const traffic = this.#traffic(cluster);
    return {
      cluster,
      desiredConfigVersion: c.desiredConfigVersion,
      ...(agent && { appliedConfigVersion: agent.appliedConfigVersion, agent }),
      ...(traffic && { traffic }),
    };
  }

  onChange(listener: (event: RegistryEvent) => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setTrafficSource(source: (cluster: string) => ClusterTraffic | undefined): void {
    this.#traffic = source;
  }

  #get(name: string): Cluster {
    const c = this.#clusters.get(name);
    if (!c) throw new RegistryError("not_found", `cluster ${name} is not registered`);
    return c;
  }

  #active(name: string): Cluster {
    const c = this.#get(name);
    if (c.state === "removing") throw new RegistryError("conflict", `cluster ${name} is being removed`);
    return c;
  }

  #bump(
    name: string,
    change: { body?: AgentRemoteConfigBody; certificateGeneration?: number },
  ): AgentRemoteConfig {
    const c = this.#clusters.get(name)!;
    const prev = this.#configs.get(name)!;
    const next: AgentRemoteConfig = {
      ...prev,
      ...change,
      version: prev.version + 1,
      flows: { metrics: c.metricsEnabled, logs: c.logsEnabled },
    };
    this.#configs.set(name, next);
    this.#clusters.set(name, { ...c, desiredConfigVersion: next.version });
    this.#emit({ kind: "config", name });
    return next;
  }

  #issue(cluster: string, kind: CertificateRecord["kind"]): IssuedBundleCertificate {
    const now = this.now();
    const certificate: CertificateRecord = {
      serial: randomBytes(16).toString("hex"),
      cluster,
      kind,
      notBefore: new Date(now.getTime() - 5 * 60_000).toISOString(),
      notAfter: new Date(now.getTime() + 90 * DAY).toISOString(),
      issuedAt: now.toISOString(),
    };
    this.#certs.set(cluster, [...(this.#certs.get(cluster) ?? []), certificate]);
    return {
      certificate,
      certPem: fakePem("CERTIFICATE", cluster),
      keyPem: fakePem("PRIVATE KEY", cluster),
      caPem: this.caPem,
    };
  }

  #iso(): string {
    return this.now().toISOString();
  }

  #emit(event: RegistryEvent): void {
    for (const l of this.#listeners) l(event);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
