import type { AgentRemoteConfig, AgentReport, CertificateRecord, Cluster, Project } from "../model.js";

/**
 * A cluster as stored: its record plus what the registry keeps beside it. Times are ISO 8601
 * strings in UTC (`Date.prototype.toISOString`), which sort as text.
 */
export interface ClusterRow extends Cluster {
  /** Grows by one with each rotation request; the agent renews when it sees it grow. */
  readonly certificateGeneration: number;
}

/** One version of a cluster's agent configuration. Every version is kept until the cluster is deleted. */
export interface AgentConfigRow extends AgentRemoteConfig {
  /** ISO 8601. */
  readonly createdAt: string;
}

/**
 * One atomic change of a cluster: its row, optionally the config version the change created, and
 * certificate records to insert or replace (by serial).
 */
export interface ClusterChange {
  readonly cluster: ClusterRow;
  /** Must be for `cluster.name` with `version === cluster.desiredConfigVersion`. */
  readonly config?: AgentConfigRow;
  readonly certificates?: readonly CertificateRecord[];
}

/** Why a store refused an operation or could not open. */
export type RegistryStoreErrorCode =
  /** A row with that key exists. */
  | "exists"
  /** A row refers to one that does not exist (a cluster's project). */
  | "missing"
  /** A project still has clusters. */
  | "in_use"
  /** The database was written by a newer Mirador (its schema version is unknown here). */
  | "too_new"
  /** A migration failed; the database is left at the last version that applied. */
  | "migration"
  /** Another process (or another store in this one) has the database open. */
  | "busy";

/** An error from a registry store, with a stable code the service maps to its own errors. */
export class RegistryStoreError extends Error {
  constructor(
    readonly code: RegistryStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RegistryStoreError";
  }
}

/**
 * Where the registry keeps its records: projects, clusters, the certificates issued to them, every
 * version of each cluster's agent configuration, and each agent's latest report. Storage-shaped:
 * rows in, rows out; the rules (names, versions, who may change what) live in the service.
 *
 * Contracts every implementation keeps (`store-conformance.testlib.ts` checks them):
 * - Durability: a write is committed (and, for a disk store, synced) before its promise resolves;
 *   a failed write changes nothing.
 * - Each method is atomic, and `ClusterChange`s apply as one transaction.
 * - Lists are sorted: projects and clusters by name, certificates by `issuedAt` then serial,
 *   config versions by version ascending.
 * - Certificates outlive their cluster: deleting a cluster keeps them, so that revoked serials stay
 *   on the revocation list until they expire (`pruneCertificates` drops them afterwards).
 * - Returned rows are fresh objects the caller may keep.
 * After `close()` no other method may be called.
 */
export interface RegistryStore {
  listProjects(): Promise<Project[]>;
  getProject(name: string): Promise<Project | undefined>;
  /** Throws `exists` when a project of that name exists. */
  insertProject(project: Project): Promise<void>;
  /** Returns false when there was none. Throws `in_use` while clusters belong to it. */
  deleteProject(name: string): Promise<boolean>;

  /** Clusters of `project` (all when undefined). */
  listClusters(project?: string): Promise<ClusterRow[]>;
  getCluster(name: string): Promise<ClusterRow | undefined>;
  /** Throws `exists` when the cluster exists, `missing` when its project does not. */
  insertCluster(change: ClusterChange): Promise<void>;
  /**
   * Replaces the cluster's row (its name and project cannot change), appends `config` and saves
   * `certificates`. Returns false, writing nothing, when the cluster does not exist. Throws `exists`
   * when `config`'s version is already stored.
   */
  updateCluster(change: ClusterChange): Promise<boolean>;
  /** Sets `lastSeenAt` of each named cluster that exists (others are skipped), in one transaction. */
  setLastSeen(entries: readonly { readonly name: string; readonly at: string }[]): Promise<void>;
  /** Deletes the cluster, its config versions and its report (not its certificates). False when absent. */
  deleteCluster(name: string): Promise<boolean>;

  /** Every certificate recorded for `cluster`, including those of an earlier cluster of that name. */
  listCertificates(cluster: string): Promise<CertificateRecord[]>;
  getCertificate(serial: string): Promise<CertificateRecord | undefined>;
  /** Inserts each record, or replaces the one with its serial. */
  saveCertificates(records: readonly CertificateRecord[]): Promise<void>;
  /** Revoked certificates whose `notAfter` is later than `notAfterAfter` (all clusters). */
  listRevokedCertificates(notAfterAfter: string): Promise<CertificateRecord[]>;
  /** Unrevoked certificates whose `revokeAt` is at or before `at` (all clusters). */
  listCertificatesDue(at: string): Promise<CertificateRecord[]>;
  /**
   * Deletes certificates whose `notAfter` is before `notAfterBefore` and whose cluster no longer
   * exists (no cluster of its name, or only one created after it was issued). Returns how many.
   */
  pruneCertificates(notAfterBefore: string): Promise<number>;

  /** The cluster's config at `version`, or its latest when `version` is undefined. */
  getAgentConfig(cluster: string, version?: number): Promise<AgentConfigRow | undefined>;
  /** Every stored version of the cluster's config. */
  listAgentConfigs(cluster: string): Promise<AgentConfigRow[]>;

  /** Replaces the cluster's last report. Returns false, writing nothing, when the cluster does not exist. */
  putAgentReport(report: AgentReport): Promise<boolean>;
  getAgentReport(cluster: string): Promise<AgentReport | undefined>;

  /** Releases the store's files or connections. Idempotent. */
  close(): Promise<void>;
}
