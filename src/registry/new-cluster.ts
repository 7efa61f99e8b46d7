import type { AgentRemoteConfigBody, ClusterLimits } from "./model.js";
import type { AgentConfigRow, ClusterRow } from "./store/store.js";

/** The agent configuration a new cluster starts with (version 1): no jobs beyond the agent's own. */
export const INITIAL_CONFIG_BODY: AgentRemoteConfigBody = { scrape_configs: [] };

/** The settings of a new cluster, all given (the service fills the defaults). */
export interface NewClusterFields {
  readonly project: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly seed: string;
  readonly limits: Partial<ClusterLimits>;
  readonly metricsEnabled: boolean;
  readonly logsEnabled: boolean;
}

/**
 * The records of a cluster registered at `at` (ISO 8601): active, desired config version 1 with
 * {@link INITIAL_CONFIG_BODY}, certificate generation 1.
 */
export function newClusterRecords(
  name: string,
  fields: NewClusterFields,
  at: string,
): { cluster: ClusterRow; config: AgentConfigRow } {
  const cluster: ClusterRow = {
    name,
    project: fields.project,
    labels: { ...fields.labels },
    seed: fields.seed,
    metricsEnabled: fields.metricsEnabled,
    logsEnabled: fields.logsEnabled,
    limits: { ...fields.limits },
    state: "active",
    createdAt: at,
    updatedAt: at,
    desiredConfigVersion: 1,
    certificateGeneration: 0,
  };
  const config: AgentConfigRow = {
    cluster: name,
    version: 1,
    flows: { metrics: fields.metricsEnabled, logs: fields.logsEnabled },
    certificateGeneration: 0,
    body: INITIAL_CONFIG_BODY,
    createdAt: at,
  };
  return { cluster, config };
}
