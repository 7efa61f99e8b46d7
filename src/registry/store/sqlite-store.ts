import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import sqlite from "node-sqlite3-wasm";
import type {
  AgentRemoteConfigBody,
  AgentReport,
  CertificateRecord,
  ClusterLimits,
  Project,
  RevocationReason,
} from "../model.js";
import { claimDatabase } from "./owner-lock.js";
import { MIGRATIONS, type Migration } from "./sqlite-migrations.js";
import {
  type AgentConfigRow,
  type ClusterChange,
  type ClusterRow,
  type RegistryStore,
  RegistryStoreError,
} from "./store.js";

const { Database } = sqlite;
type Db = InstanceType<typeof Database>;
type Row = Record<string, unknown>;

/** Options of {@link openSqliteRegistryStore}. */
export interface SqliteStoreOptions {
  /** The schema steps to apply; the registry's own by default (tests pass others). */
  readonly migrations?: readonly Migration[];
}

/**
 * Opens (creating it if needed) the SQLite registry database at `path` — the seed uses
 * `<data_dir>/registry/registry.db` — and brings its schema up to date. The file gets mode 0600,
 * its directory 0700. Throws `RegistryStoreError`: `too_new` when the database was written by a
 * newer Mirador, `migration` when a schema step fails (that step is rolled back), `busy` when
 * another process has the database open. See docs/adr/0011-registry-sqlite.md for the choices.
 */
export async function openSqliteRegistryStore(
  path: string,
  opts: SqliteStoreOptions = {},
): Promise<SqliteRegistryStore> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const release = claimDatabase(path);
  let db: Db | undefined;
  try {
    // Created by us with mode 0600 before SQLite sees it; an existing file is tightened to 0600.
    closeSync(openSync(path, "a", 0o600));
    chmodSync(path, 0o600);
    db = new Database(path);
    // EXCLUSIVE: the lock is taken once and held until close, instead of a mkdir/rmdir per
    // statement in node-sqlite3-wasm's VFS; it also keeps other processes out. WAL is not
    // available (the wasm VFS has no shared memory), so: rollback journal, fsync at every commit.
    db.exec("PRAGMA locking_mode = EXCLUSIVE; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
    const mode = db.get("PRAGMA journal_mode = DELETE")?.journal_mode;
    if (mode !== "delete") throw new Error(`SQLite refused journal_mode DELETE (got ${String(mode)})`);
    migrate(db, path, opts.migrations ?? MIGRATIONS);
    return new SqliteRegistryStore(db, release);
  } catch (err) {
    db?.close();
    release();
    throw err;
  }
}

/** The schema version recorded in the database. */
function schemaVersion(db: Db): number {
  return Number(db.get("PRAGMA user_version")?.user_version ?? 0);
}

function migrate(db: Db, path: string, migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i} has version ${m.version}, expected ${i + 1}`);
  });
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new RegistryStoreError(
      "too_new",
      `registry database ${path} has schema version ${current}, but this Mirador knows versions up to ` +
        `${migrations.length}: it was written by a newer Mirador. Run that version (or a newer one), or ` +
        "restore the backup taken before the upgrade",
    );
  }
  for (const m of migrations.slice(current)) {
    try {
      transaction(db, () => {
        db.exec(m.sql);
        db.exec(`PRAGMA user_version = ${m.version}`);
      });
    } catch (err) {
      throw new RegistryStoreError(
        "migration",
        `registry database ${path}: schema step ${m.version} (${m.description}) failed, the database stays ` +
          `at version ${schemaVersion(db)}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
}

/** Runs `fn` in one write transaction: committed (and synced) when it returns, rolled back when it throws. */
function transaction<T>(db: Db, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (err) {
    if (db.inTransaction) db.exec("ROLLBACK");
    throw err;
  }
}

/**
 * The registry store in one SQLite file (node-sqlite3-wasm: SQLite compiled to WebAssembly over
 * Node's fs). Its calls are synchronous underneath, so each method runs to its end before another
 * starts; a write has been committed with `synchronous = FULL` (journal and database fsynced) when
 * its promise resolves. A commit blocks the event loop for the length of its fsyncs.
 */
export class SqliteRegistryStore implements RegistryStore {
  #db: Db | undefined;

  /** Use {@link openSqliteRegistryStore}. */
  constructor(
    db: Db,
    private readonly release: () => void,
  ) {
    this.#db = db;
  }

  /** The schema version of the open database (`PRAGMA user_version`). */
  get schemaVersion(): number {
    return schemaVersion(this.#open());
  }

  #open(): Db {
    if (this.#db === undefined) throw new Error("the registry store is closed");
    return this.#db;
  }

  async listProjects(): Promise<Project[]> {
    return this.#open().all("SELECT * FROM projects ORDER BY name").map(toProject);
  }

  async getProject(name: string): Promise<Project | undefined> {
    const row = this.#open().get("SELECT * FROM projects WHERE name = ?", [name]);
    return row ? toProject(row) : undefined;
  }

  async insertProject(project: Project): Promise<void> {
    const db = this.#open();
    transaction(db, () => {
      if (db.get("SELECT 1 FROM projects WHERE name = ?", [project.name])) {
        throw new RegistryStoreError("exists", `project ${JSON.stringify(project.name)} exists`);
      }
      db.run("INSERT INTO projects (name, description, created_at) VALUES (?, ?, ?)", [
        project.name,
        project.description,
        project.createdAt,
      ]);
    });
  }

  async deleteProject(name: string): Promise<boolean> {
    const db = this.#open();
    return transaction(db, () => {
      const clusters = Number(db.get("SELECT count(*) AS n FROM clusters WHERE project = ?", [name])?.n ?? 0);
      if (clusters > 0) {
        throw new RegistryStoreError(
          "in_use",
          `project ${JSON.stringify(name)} still has ${clusters} cluster(s); remove them first`,
        );
      }
      return db.run("DELETE FROM projects WHERE name = ?", [name]).changes > 0;
    });
  }

  async listClusters(project?: string): Promise<ClusterRow[]> {
    const db = this.#open();
    const rows =
      project === undefined
        ? db.all("SELECT * FROM clusters ORDER BY name")
        : db.all("SELECT * FROM clusters WHERE project = ? ORDER BY name", [project]);
    return rows.map(toCluster);
  }

  async getCluster(name: string): Promise<ClusterRow | undefined> {
    const row = this.#open().get("SELECT * FROM clusters WHERE name = ?", [name]);
    return row ? toCluster(row) : undefined;
  }

  async insertCluster(change: ClusterChange): Promise<void> {
    const db = this.#open();
    const c = change.cluster;
    transaction(db, () => {
      if (db.get("SELECT 1 FROM clusters WHERE name = ?", [c.name])) {
        throw new RegistryStoreError("exists", `cluster ${JSON.stringify(c.name)} exists`);
      }
      if (!db.get("SELECT 1 FROM projects WHERE name = ?", [c.project])) {
        throw new RegistryStoreError("missing", `project ${JSON.stringify(c.project)} does not exist`);
      }
      db.run(
        `INSERT INTO clusters (name, project, labels, seed, metrics_enabled, logs_enabled, limits, state,
           created_at, updated_at, last_seen_at, delete_after, desired_config_version, certificate_generation)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          c.name,
          c.project,
          JSON.stringify(c.labels),
          c.seed,
          c.metricsEnabled ? 1 : 0,
          c.logsEnabled ? 1 : 0,
          JSON.stringify(c.limits),
          c.state,
          c.createdAt,
          c.updatedAt,
          c.lastSeenAt ?? null,
          c.deleteAfter ?? null,
          c.desiredConfigVersion,
          c.certificateGeneration,
        ],
      );
      this.#writeExtras(db, change);
    });
  }

  async updateCluster(change: ClusterChange): Promise<boolean> {
    const db = this.#open();
    const c = change.cluster;
    return transaction(db, () => {
      const updated = db.run(
        `UPDATE clusters SET labels = ?, seed = ?, metrics_enabled = ?, logs_enabled = ?, limits = ?,
           state = ?, created_at = ?, updated_at = ?, last_seen_at = ?, delete_after = ?,
           desired_config_version = ?, certificate_generation = ?
         WHERE name = ?`,
        [
          JSON.stringify(c.labels),
          c.seed,
          c.metricsEnabled ? 1 : 0,
          c.logsEnabled ? 1 : 0,
          JSON.stringify(c.limits),
          c.state,
          c.createdAt,
          c.updatedAt,
          c.lastSeenAt ?? null,
          c.deleteAfter ?? null,
          c.desiredConfigVersion,
          c.certificateGeneration,
          c.name,
        ],
      );
      if (updated.changes === 0) return false;
      this.#writeExtras(db, change);
      return true;
    });
  }

  #writeExtras(db: Db, change: ClusterChange): void {
    const { config } = change;
    if (config !== undefined) {
      if (config.cluster !== change.cluster.name) {
        throw new Error(`config of ${config.cluster} written with cluster ${change.cluster.name}`);
      }
      if (
        db.get("SELECT 1 FROM agent_configs WHERE cluster = ? AND version = ?", [
          config.cluster,
          config.version,
        ])
      ) {
        throw new RegistryStoreError(
          "exists",
          `config version ${config.version} of cluster ${JSON.stringify(config.cluster)} exists`,
        );
      }
      db.run(
        `INSERT INTO agent_configs (cluster, version, metrics_enabled, logs_enabled, certificate_generation,
           body, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          config.cluster,
          config.version,
          config.flows.metrics ? 1 : 0,
          config.flows.logs ? 1 : 0,
          config.certificateGeneration,
          JSON.stringify(config.body),
          config.createdAt,
        ],
      );
    }
    for (const cert of change.certificates ?? []) saveCertificate(db, cert);
  }

  async setLastSeen(entries: readonly { readonly name: string; readonly at: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const db = this.#open();
    transaction(db, () => {
      for (const e of entries) db.run("UPDATE clusters SET last_seen_at = ? WHERE name = ?", [e.at, e.name]);
    });
  }

  async deleteCluster(name: string): Promise<boolean> {
    const db = this.#open();
    // agent_configs and agent_reports go with it (ON DELETE CASCADE); certificates stay.
    return transaction(db, () => db.run("DELETE FROM clusters WHERE name = ?", [name]).changes > 0);
  }

  async listCertificates(cluster: string): Promise<CertificateRecord[]> {
    return this.#open()
      .all("SELECT * FROM certificates WHERE cluster = ? ORDER BY issued_at, serial", [cluster])
      .map(toCertificate);
  }

  async getCertificate(serial: string): Promise<CertificateRecord | undefined> {
    const row = this.#open().get("SELECT * FROM certificates WHERE serial = ?", [serial]);
    return row ? toCertificate(row) : undefined;
  }

  async saveCertificates(records: readonly CertificateRecord[]): Promise<void> {
    if (records.length === 0) return;
    const db = this.#open();
    transaction(db, () => {
      for (const r of records) saveCertificate(db, r);
    });
  }

  async listRevokedCertificates(notAfterAfter: string): Promise<CertificateRecord[]> {
    return this.#open()
      .all(
        "SELECT * FROM certificates WHERE revoked_at IS NOT NULL AND not_after > ? ORDER BY issued_at, serial",
        [notAfterAfter],
      )
      .map(toCertificate);
  }

  async listCertificatesDue(at: string): Promise<CertificateRecord[]> {
    return this.#open()
      .all(
        `SELECT * FROM certificates WHERE revoked_at IS NULL AND revoke_at IS NOT NULL AND revoke_at <= ?
         ORDER BY issued_at, serial`,
        [at],
      )
      .map(toCertificate);
  }

  async pruneCertificates(notAfterBefore: string): Promise<number> {
    const db = this.#open();
    return transaction(
      db,
      () =>
        db.run(
          `DELETE FROM certificates WHERE not_after < ?
             AND NOT EXISTS (SELECT 1 FROM clusters
                             WHERE clusters.name = certificates.cluster AND clusters.created_at <= certificates.issued_at)`,
          [notAfterBefore],
        ).changes,
    );
  }

  async getAgentConfig(cluster: string, version?: number): Promise<AgentConfigRow | undefined> {
    const db = this.#open();
    const row =
      version === undefined
        ? db.get("SELECT * FROM agent_configs WHERE cluster = ? ORDER BY version DESC LIMIT 1", [cluster])
        : db.get("SELECT * FROM agent_configs WHERE cluster = ? AND version = ?", [cluster, version]);
    return row ? toAgentConfig(row) : undefined;
  }

  async listAgentConfigs(cluster: string): Promise<AgentConfigRow[]> {
    return this.#open()
      .all("SELECT * FROM agent_configs WHERE cluster = ? ORDER BY version", [cluster])
      .map(toAgentConfig);
  }

  async putAgentReport(report: AgentReport): Promise<boolean> {
    const db = this.#open();
    return transaction(db, () => {
      if (!db.get("SELECT 1 FROM clusters WHERE name = ?", [report.cluster])) return false;
      db.run(
        `INSERT OR REPLACE INTO agent_reports (cluster, received_at, applied_config_version, agent_version,
           buffered_samples, buffered_bytes, errors, certificate_serial)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          report.cluster,
          report.receivedAt,
          report.appliedConfigVersion,
          report.agentVersion,
          report.bufferedSamples,
          report.bufferedBytes,
          JSON.stringify(report.errors),
          report.certificateSerial ?? null,
        ],
      );
      return true;
    });
  }

  async getAgentReport(cluster: string): Promise<AgentReport | undefined> {
    const row = this.#open().get("SELECT * FROM agent_reports WHERE cluster = ?", [cluster]);
    return row ? toReport(row) : undefined;
  }

  async close(): Promise<void> {
    const db = this.#db;
    if (db === undefined) return;
    this.#db = undefined;
    try {
      db.close();
    } finally {
      this.release();
    }
  }
}

function saveCertificate(db: Db, r: CertificateRecord): void {
  db.run(
    `INSERT OR REPLACE INTO certificates (serial, cluster, kind, not_before, not_after, issued_at, revoked_at,
       revocation_reason, revoke_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      r.serial,
      r.cluster,
      r.kind,
      r.notBefore,
      r.notAfter,
      r.issuedAt,
      r.revokedAt ?? null,
      r.revocationReason ?? null,
      r.revokeAt ?? null,
    ],
  );
}

// Rows back to records. A column of the wrong type means the file was changed behind the
// registry's back: that throws rather than yield a half-valid record.

function text(row: Row, column: string): string {
  const v = row[column];
  if (typeof v !== "string")
    throw new Error(`registry database: column ${column} holds ${typeof v}, not text`);
  return v;
}

function optionalText(row: Row, column: string): string | undefined {
  return row[column] === null ? undefined : text(row, column);
}

function int(row: Row, column: string): number {
  const v = row[column];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new Error(`registry database: column ${column} holds ${String(v)}, not an integer`);
  }
  return v;
}

function json<T>(row: Row, column: string): T {
  return JSON.parse(text(row, column)) as T;
}

function toProject(row: Row): Project {
  return {
    name: text(row, "name"),
    description: text(row, "description"),
    createdAt: text(row, "created_at"),
  };
}

function toCluster(row: Row): ClusterRow {
  const lastSeenAt = optionalText(row, "last_seen_at");
  const deleteAfter = optionalText(row, "delete_after");
  return {
    name: text(row, "name"),
    project: text(row, "project"),
    labels: json<Record<string, string>>(row, "labels"),
    seed: text(row, "seed"),
    metricsEnabled: int(row, "metrics_enabled") !== 0,
    logsEnabled: int(row, "logs_enabled") !== 0,
    limits: json<Partial<ClusterLimits>>(row, "limits"),
    state: text(row, "state") === "removing" ? "removing" : "active",
    createdAt: text(row, "created_at"),
    updatedAt: text(row, "updated_at"),
    ...(lastSeenAt === undefined ? {} : { lastSeenAt }),
    ...(deleteAfter === undefined ? {} : { deleteAfter }),
    desiredConfigVersion: int(row, "desired_config_version"),
    certificateGeneration: int(row, "certificate_generation"),
  };
}

function toCertificate(row: Row): CertificateRecord {
  const revokedAt = optionalText(row, "revoked_at");
  const revocationReason = optionalText(row, "revocation_reason") as RevocationReason | undefined;
  const revokeAt = optionalText(row, "revoke_at");
  return {
    serial: text(row, "serial"),
    cluster: text(row, "cluster"),
    kind: text(row, "kind") === "renewal" ? "renewal" : "bundle",
    notBefore: text(row, "not_before"),
    notAfter: text(row, "not_after"),
    issuedAt: text(row, "issued_at"),
    ...(revokedAt === undefined ? {} : { revokedAt }),
    ...(revocationReason === undefined ? {} : { revocationReason }),
    ...(revokeAt === undefined ? {} : { revokeAt }),
  };
}

function toAgentConfig(row: Row): AgentConfigRow {
  return {
    cluster: text(row, "cluster"),
    version: int(row, "version"),
    flows: { metrics: int(row, "metrics_enabled") !== 0, logs: int(row, "logs_enabled") !== 0 },
    certificateGeneration: int(row, "certificate_generation"),
    body: json<AgentRemoteConfigBody>(row, "body"),
    createdAt: text(row, "created_at"),
  };
}

function toReport(row: Row): AgentReport {
  const certificateSerial = optionalText(row, "certificate_serial");
  return {
    cluster: text(row, "cluster"),
    receivedAt: text(row, "received_at"),
    appliedConfigVersion: int(row, "applied_config_version"),
    agentVersion: text(row, "agent_version"),
    bufferedSamples: int(row, "buffered_samples"),
    bufferedBytes: int(row, "buffered_bytes"),
    errors: json<string[]>(row, "errors"),
    ...(certificateSerial === undefined ? {} : { certificateSerial }),
  };
}
