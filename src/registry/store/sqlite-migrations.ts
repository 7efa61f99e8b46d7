/**
 * One step of the SQLite registry schema. Steps are applied in order, each in its own transaction,
 * and the database records the last one applied in `PRAGMA user_version` (0 for an empty file).
 * Rule: a released step is never edited; a change of schema is a new step at the end.
 */
export interface Migration {
  /** 1 for the first step, then each the previous plus one. */
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** The registry schema, step by step. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "projects, clusters, certificates, agent config versions, agent reports",
    sql: `
      CREATE TABLE projects (
        name        TEXT PRIMARY KEY,
        description TEXT NOT NULL,
        created_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE clusters (
        name                   TEXT PRIMARY KEY,
        project                TEXT NOT NULL REFERENCES projects (name),
        labels                 TEXT NOT NULL,  -- JSON object
        seed                   TEXT NOT NULL,
        metrics_enabled        INTEGER NOT NULL,
        logs_enabled           INTEGER NOT NULL,
        limits                 TEXT NOT NULL,  -- JSON object, overrides only
        state                  TEXT NOT NULL CHECK (state IN ('active', 'removing')),
        created_at             TEXT NOT NULL,
        updated_at             TEXT NOT NULL,
        last_seen_at           TEXT,
        delete_after           TEXT,
        desired_config_version INTEGER NOT NULL,
        certificate_generation INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX clusters_project ON clusters (project);

      -- No foreign key to clusters: revoked certificates must stay listed after their cluster is gone.
      CREATE TABLE certificates (
        serial            TEXT PRIMARY KEY,
        cluster           TEXT NOT NULL,
        kind              TEXT NOT NULL CHECK (kind IN ('bundle', 'renewal')),
        not_before        TEXT NOT NULL,
        not_after         TEXT NOT NULL,
        issued_at         TEXT NOT NULL,
        revoked_at        TEXT,
        revocation_reason TEXT,
        revoke_at         TEXT
      ) STRICT;
      CREATE INDEX certificates_cluster ON certificates (cluster, issued_at);
      CREATE INDEX certificates_revoked ON certificates (not_after) WHERE revoked_at IS NOT NULL;
      CREATE INDEX certificates_due ON certificates (revoke_at) WHERE revoked_at IS NULL AND revoke_at IS NOT NULL;

      CREATE TABLE agent_configs (
        cluster                TEXT NOT NULL REFERENCES clusters (name) ON DELETE CASCADE,
        version                INTEGER NOT NULL,
        metrics_enabled        INTEGER NOT NULL,
        logs_enabled           INTEGER NOT NULL,
        certificate_generation INTEGER NOT NULL,
        body                   TEXT NOT NULL,  -- JSON: AgentRemoteConfigBody
        created_at             TEXT NOT NULL,
        PRIMARY KEY (cluster, version)
      ) STRICT;

      CREATE TABLE agent_reports (
        cluster                TEXT PRIMARY KEY REFERENCES clusters (name) ON DELETE CASCADE,
        received_at            TEXT NOT NULL,
        applied_config_version INTEGER NOT NULL,
        agent_version          TEXT NOT NULL,
        buffered_samples       INTEGER NOT NULL,
        buffered_bytes         INTEGER NOT NULL,
        errors                 TEXT NOT NULL,  -- JSON array of strings
        certificate_serial     TEXT
      ) STRICT;
    `,
  },
];
