/**
 * The registry's records and the operations the other roles use. The storage behind it
 * (`RegistryStore`, SQLite today) and the HTTP API in front of it both follow these shapes.
 */

/** A project: a group of clusters that the same people may see. */
export interface Project {
  readonly name: string;
  readonly description: string;
  /** ISO 8601. */
  readonly createdAt: string;
}

/**
 * Per-cluster limits the gateway enforces before ingest. 0 means unlimited. A cluster's record
 * holds only the fields set for it; the rest come from `gateway.default_limits`.
 */
export interface ClusterLimits {
  /** Sustained samples per second (token bucket refill rate). */
  readonly samples_per_second: number;
  /** Bucket size in samples: the largest burst accepted at once. */
  readonly samples_burst: number;
  /** Sustained log bytes per second (uncompressed line bytes). */
  readonly log_bytes_per_second: number;
  /** Bucket size in log bytes. */
  readonly log_bytes_burst: number;
  /** Largest request body (compressed, as sent) in bytes. */
  readonly max_body_bytes: number;
}

/** The two data flows of a cluster that an admin can switch off. */
export type Flow = "metrics" | "logs";

/** Lifecycle of a cluster record. `removing`: certificates revoked, data deleted at `deleteAfter`. */
export type ClusterState = "active" | "removing";

/** A registered user cluster. Its name is its tenant id. */
export interface Cluster {
  readonly name: string;
  readonly project: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The seed this cluster ships to (its name in a multi-seed fleet; "local" for a single seed). */
  readonly seed: string;
  readonly metricsEnabled: boolean;
  readonly logsEnabled: boolean;
  /** Limits set for this cluster (overrides of the gateway defaults). */
  readonly limits: Partial<ClusterLimits>;
  readonly state: ClusterState;
  /** ISO 8601 times. */
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Last request seen from the cluster's agent at the gateway (push, config poll or heartbeat). */
  readonly lastSeenAt?: string;
  /** When `state` is `removing`: when its data, rules and alert config are deleted. */
  readonly deleteAfter?: string;
  /** Version of the agent configuration the registry wants this cluster's agent to run. */
  readonly desiredConfigVersion: number;
}

/** Why a certificate was revoked (RFC 5280 reason names). */
export type RevocationReason = "unspecified" | "keyCompromise" | "superseded" | "cessationOfOperation";

/** A certificate the CA issued to a cluster. The private key is never stored. */
export interface CertificateRecord {
  /** Lowercase hex. */
  readonly serial: string;
  readonly cluster: string;
  /** `bundle`: issued by `cluster add`/`rotate-cert --output`; `renewal`: requested by the agent. */
  readonly kind: "bundle" | "renewal";
  readonly notBefore: string;
  readonly notAfter: string;
  readonly issuedAt: string;
  /** Set once revoked. */
  readonly revokedAt?: string;
  readonly revocationReason?: RevocationReason;
  /** A revocation scheduled for later (rotation with a grace period). */
  readonly revokeAt?: string;
}

/**
 * The configuration the seed pushes to a cluster's agent. It adds to the agent's local file:
 * `scrape_configs` are jobs next to the local ones (Prometheus `scrape_config` fields, relabelling
 * included), the other fields override the file's when set.
 */
export interface AgentRemoteConfigBody {
  readonly scrape_interval?: string;
  readonly scrape_timeout?: string;
  readonly external_labels?: Readonly<Record<string, string>>;
  readonly scrape_configs: readonly Record<string, unknown>[];
}

/** One version of a cluster's agent configuration as the gateway serves it. */
export interface AgentRemoteConfig {
  /** Increases with every change: config edits, flow switches, rotation requests. */
  readonly version: number;
  readonly cluster: string;
  /** Whether each flow may be sent; a disabled flow is neither sent nor buffered by the agent. */
  readonly flows: Readonly<Record<Flow, boolean>>;
  /** Increases when an admin asks for new certificates (`rotate-cert`); the agent renews when it grows. */
  readonly certificateGeneration: number;
  readonly body: AgentRemoteConfigBody;
}

/** What an agent last reported in its heartbeat. */
export interface AgentReport {
  readonly cluster: string;
  /** ISO 8601 time the gateway received it. */
  readonly receivedAt: string;
  readonly appliedConfigVersion: number;
  readonly agentVersion: string;
  /** Samples (and, later, log bytes) held in the agent's disk queue. */
  readonly bufferedSamples: number;
  readonly bufferedBytes: number;
  /** Problems the agent wants an admin to see (a remote config it refused, failed renewals…). */
  readonly errors: readonly string[];
  /** Serial of the certificate the agent uses. */
  readonly certificateSerial?: string;
}

/** Live traffic of one cluster, as the gateway measured it. */
export interface ClusterTraffic {
  readonly lastPushAt?: string;
  /** Rates over the last minute. */
  readonly samplesPerSecond: number;
  readonly bytesPerSecond: number;
  readonly logBytesPerSecond: number;
  /** Requests refused since the gateway started, by reason (`rate_limited`, `body_too_large`, `flow_disabled`, …). */
  readonly rejected: Readonly<Record<string, number>>;
}

/** A cluster's status: registry record, agent report and live traffic. */
export interface ClusterStatus {
  readonly cluster: string;
  readonly desiredConfigVersion: number;
  readonly appliedConfigVersion?: number;
  readonly agent?: AgentReport;
  readonly traffic?: ClusterTraffic;
}

/** Fields of `addCluster`/`updateCluster`. */
export interface ClusterSpec {
  readonly project: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly seed?: string;
  readonly limits?: Partial<ClusterLimits>;
  readonly metricsEnabled?: boolean;
  readonly logsEnabled?: boolean;
}

/** A certificate the registry signed for a key it never saw (an agent's renewal request). */
export interface SignedClusterCertificate {
  readonly certificate: CertificateRecord;
  readonly certPem: string;
  readonly caPem: string;
}

/** A certificate and its key, handed out once (the registry keeps no copy of the key). */
export interface IssuedBundleCertificate extends SignedClusterCertificate {
  readonly keyPem: string;
}

/** A registry error with the HTTP status it maps to. */
export class RegistryError extends Error {
  constructor(
    readonly kind: "not_found" | "conflict" | "invalid" | "forbidden",
    message: string,
  ) {
    super(message);
    this.name = "RegistryError";
  }
}

/** A change other roles react to: the gateway reloads its CRL or a cluster's limits and flows. */
export type RegistryEvent =
  | { readonly kind: "revoked" }
  | { readonly kind: "cluster"; readonly name: string }
  | { readonly kind: "config"; readonly name: string };

/**
 * What the registry does. Implemented by the registry role over its store; used by the HTTP API,
 * the gateway and the demo. Every method is async so that a remote store can stand behind it.
 */
export interface RegistryService {
  listProjects(): Promise<Project[]>;
  getProject(name: string): Promise<Project | undefined>;
  /** Throws RegistryError `conflict` when it exists, `invalid` for a bad name. */
  createProject(name: string, description?: string): Promise<Project>;
  /** Throws `conflict` while the project has clusters. */
  deleteProject(name: string): Promise<void>;

  /** Clusters, sorted by name; `project` filters. Removing clusters are included. */
  listClusters(project?: string): Promise<Cluster[]>;
  getCluster(name: string): Promise<Cluster | undefined>;
  /**
   * Registers a cluster and issues its first certificate. Throws `conflict` when it exists,
   * `not_found` when the project does not, `invalid` for a bad name or field.
   */
  addCluster(name: string, spec: ClusterSpec): Promise<{ cluster: Cluster; issued: IssuedBundleCertificate }>;
  /** Changes labels, limits, flows (each change of flows bumps the desired config version). */
  updateCluster(name: string, patch: Partial<Omit<ClusterSpec, "project">>): Promise<Cluster>;
  /** Switches flows on or off (a shortcut of updateCluster). */
  setFlows(name: string, flows: Partial<Record<Flow, boolean>>): Promise<Cluster>;
  /**
   * Revokes every certificate of the cluster now and marks it `removing`; its data, rules and alert
   * config are deleted once `registry.removal_grace` has passed.
   */
  removeCluster(name: string): Promise<Cluster>;

  listCertificates(cluster: string): Promise<CertificateRecord[]>;
  /** Issues a new certificate and key for a bundle (`cluster add` again, `rotate-cert --output`). */
  issueBundleCertificate(cluster: string): Promise<IssuedBundleCertificate>;
  /**
   * Asks the cluster's agents to renew (bumps `certificateGeneration`) and schedules revocation of
   * every certificate issued before now at `now + revokeAfterMs` (none when undefined).
   */
  rotateCertificates(cluster: string, revokeAfterMs?: number): Promise<Cluster>;
  /** Revokes one certificate (`serial`) or all of the cluster's (undefined) now. */
  revokeCertificates(
    cluster: string,
    serial?: string,
    reason?: RevocationReason,
  ): Promise<CertificateRecord[]>;
  /**
   * Signs a certificate request (PKCS#10 PEM) of a connected agent: the subject is set to
   * `cluster` whatever the request says; only the public key is taken from it. There is no key to
   * hand back: the agent keeps the one it made.
   */
  renewCertificate(cluster: string, csrPem: string): Promise<SignedClusterCertificate>;
  /** Serials revoked and not yet expired, for the gateway's CRL. */
  revokedSerials(): Promise<{ serial: string; revokedAt: string; reason: RevocationReason }[]>;

  getAgentConfig(cluster: string): Promise<AgentRemoteConfig>;
  /** Replaces the config body; bumps the version. Throws `invalid` when a scrape config does not parse. */
  setAgentConfig(cluster: string, body: AgentRemoteConfigBody): Promise<AgentRemoteConfig>;
  /**
   * Resolves with the cluster's config once its version differs from `knownVersion`, or with
   * `undefined` after `waitMs` (long-poll). Aborts with `signal`.
   */
  waitAgentConfig(
    cluster: string,
    knownVersion: number,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<AgentRemoteConfig | undefined>;
  recordHeartbeat(report: AgentReport): Promise<void>;
  /** Notes traffic from the cluster (throttled to one store write per 10 s per cluster). */
  touch(cluster: string, at?: Date): void;
  getStatus(cluster: string): Promise<ClusterStatus>;
  /**
   * Calls `listener` after each change; returns the function that unsubscribes. Operations that
   * revoke certificates resolve only after the promises listeners return have settled (the gateway
   * returns the installation of its new CRL).
   */
  onChange(listener: (event: RegistryEvent) => void | Promise<void>): () => void;
  /** Lets the gateway in this process add live traffic to `getStatus`. */
  setTrafficSource(source: (cluster: string) => ClusterTraffic | undefined): void;
}
