/**
 * The registry API's JSON shapes: the camelCase records of `../model.ts` as snake_case objects.
 * Every field is present; a time or value that does not exist is `null`. Times are ISO 8601.
 * `docs/api/openapi.yaml` describes the same shapes (its tests check every answer against it).
 */
import type {
  AgentRemoteConfig,
  AgentReport,
  CertificateRecord,
  Cluster,
  ClusterStatus,
  ClusterTraffic,
  IssuedBundleCertificate,
  Project,
} from "../model.js";

/** A project as the API shows it. */
export interface ProjectJSON {
  readonly name: string;
  readonly description: string;
  readonly created_at: string;
}

/** A cluster as the API shows it. */
export interface ClusterJSON {
  readonly name: string;
  readonly project: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly seed: string;
  readonly metrics_enabled: boolean;
  readonly logs_enabled: boolean;
  readonly limits: Readonly<Record<string, number>>;
  readonly state: "active" | "removing";
  readonly created_at: string;
  readonly updated_at: string;
  readonly last_seen_at: string | null;
  readonly delete_after: string | null;
  readonly desired_config_version: number;
}

/** A certificate record as the API shows it. */
export interface CertificateJSON {
  readonly serial: string;
  readonly cluster: string;
  readonly kind: "bundle" | "renewal";
  readonly not_before: string;
  readonly not_after: string;
  readonly issued_at: string;
  readonly revoked_at: string | null;
  readonly revocation_reason: string | null;
  readonly revoke_at: string | null;
}

/**
 * A new certificate with its key and the CA — the only answer that carries a private key — and
 * the gateway URL the seed advertises for agents, when it knows one: what an install bundle needs.
 */
export interface BundleJSON {
  readonly certificate: CertificateJSON;
  readonly cert_pem: string;
  readonly key_pem: string;
  readonly ca_pem: string;
  readonly gateway_url: string | null;
}

/** A cluster's agent configuration as the API shows it (the gateway's `/agent/v1/config` shape). */
export interface AgentConfigJSON {
  readonly version: number;
  readonly cluster: string;
  readonly flows: { readonly metrics: boolean; readonly logs: boolean };
  readonly certificate_generation: number;
  readonly config: Readonly<Record<string, unknown>>;
}

/** An agent's last heartbeat as the API shows it. */
export interface AgentReportJSON {
  readonly received_at: string;
  readonly applied_config_version: number;
  readonly agent_version: string;
  readonly buffered_samples: number;
  readonly buffered_bytes: number;
  readonly errors: readonly string[];
  readonly certificate_serial: string | null;
}

/** A cluster's live traffic as the API shows it. */
export interface TrafficJSON {
  readonly last_push_at: string | null;
  readonly samples_per_second: number;
  readonly bytes_per_second: number;
  readonly log_bytes_per_second: number;
  readonly rejected: Readonly<Record<string, number>>;
}

/** A cluster's status as the API shows it. */
export interface StatusJSON {
  readonly cluster: string;
  readonly state: "active" | "removing" | null;
  readonly desired_config_version: number;
  readonly applied_config_version: number | null;
  /** Whether the agent reported running the desired version. */
  readonly in_sync: boolean;
  readonly last_seen_at: string | null;
  readonly agent: AgentReportJSON | null;
  readonly traffic: TrafficJSON | null;
}

/** {@link Project} as JSON. */
export function projectJSON(p: Project): ProjectJSON {
  return { name: p.name, description: p.description, created_at: p.createdAt };
}

/** {@link Cluster} as JSON. */
export function clusterJSON(c: Cluster): ClusterJSON {
  const limits: Record<string, number> = {};
  for (const [k, v] of Object.entries(c.limits)) if (v !== undefined) limits[k] = v;
  return {
    name: c.name,
    project: c.project,
    labels: { ...c.labels },
    seed: c.seed,
    metrics_enabled: c.metricsEnabled,
    logs_enabled: c.logsEnabled,
    limits,
    state: c.state,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    last_seen_at: c.lastSeenAt ?? null,
    delete_after: c.deleteAfter ?? null,
    desired_config_version: c.desiredConfigVersion,
  };
}

/** {@link CertificateRecord} as JSON. */
export function certificateJSON(r: CertificateRecord): CertificateJSON {
  return {
    serial: r.serial,
    cluster: r.cluster,
    kind: r.kind,
    not_before: r.notBefore,
    not_after: r.notAfter,
    issued_at: r.issuedAt,
    revoked_at: r.revokedAt ?? null,
    revocation_reason: r.revocationReason ?? null,
    revoke_at: r.revokeAt ?? null,
  };
}

/** {@link IssuedBundleCertificate} as JSON, with the advertised gateway URL (or null). */
export function bundleJSON(b: IssuedBundleCertificate, gatewayUrl: string | undefined): BundleJSON {
  return {
    certificate: certificateJSON(b.certificate),
    cert_pem: b.certPem,
    key_pem: b.keyPem,
    ca_pem: b.caPem,
    gateway_url: gatewayUrl ?? null,
  };
}

/** {@link AgentRemoteConfig} as JSON. */
export function agentConfigJSON(c: AgentRemoteConfig): AgentConfigJSON {
  return {
    version: c.version,
    cluster: c.cluster,
    flows: { metrics: c.flows.metrics, logs: c.flows.logs },
    certificate_generation: c.certificateGeneration,
    config: { ...c.body },
  };
}

function agentReportJSON(r: AgentReport): AgentReportJSON {
  return {
    received_at: r.receivedAt,
    applied_config_version: r.appliedConfigVersion,
    agent_version: r.agentVersion,
    buffered_samples: r.bufferedSamples,
    buffered_bytes: r.bufferedBytes,
    errors: [...r.errors],
    certificate_serial: r.certificateSerial ?? null,
  };
}

function trafficJSON(t: ClusterTraffic): TrafficJSON {
  return {
    last_push_at: t.lastPushAt ?? null,
    samples_per_second: t.samplesPerSecond,
    bytes_per_second: t.bytesPerSecond,
    log_bytes_per_second: t.logBytesPerSecond,
    rejected: { ...t.rejected },
  };
}

/** {@link ClusterStatus} as JSON, with the record's state and last contact when `cluster` is known. */
export function statusJSON(s: ClusterStatus, cluster: Cluster | undefined): StatusJSON {
  const applied = s.appliedConfigVersion ?? s.agent?.appliedConfigVersion;
  return {
    cluster: s.cluster,
    state: cluster?.state ?? null,
    desired_config_version: s.desiredConfigVersion,
    applied_config_version: applied ?? null,
    in_sync: applied === s.desiredConfigVersion,
    last_seen_at: cluster?.lastSeenAt ?? null,
    agent: s.agent ? agentReportJSON(s.agent) : null,
    traffic: s.traffic ? trafficJSON(s.traffic) : null,
  };
}
