/**
 * The agent configurations of an install bundle, as plain objects in `agentConfigSchema`'s terms
 * (src/server/config.ts): one for a host, two for a Kubernetes cluster (per node, cluster-wide).
 */

/** The agent's HTTP port (health, readiness, its own metrics) in the bundle's configurations. */
export const AGENT_HTTP_PORT = 9702;

/** Where the pods of `kubernetes.yaml` mount what the agent reads and writes. */
export const POD_PATHS = {
  /** The Secret with `tls.crt`, `tls.key` and `ca.crt`. */
  tls: "/etc/mirador/tls",
  /** The ConfigMap with the agents' configuration files. */
  config: "/etc/mirador/config",
  /** The disk queue (and the agent's renewed certificates). */
  data: "/var/lib/mirador-agent",
  /** The host's /proc, /sys and /var/log, read-only, in the per-node pods. */
  hostProc: "/host/proc",
  hostSys: "/host/sys",
  hostLog: "/var/log",
} as const;

/** What every agent of a cluster shares. */
export interface AgentIdentity {
  /** The cluster's name (its tenant id, the `CN` of its certificate). */
  readonly cluster: string;
  /** The gateway's base URL, `https://seed.example:9701`. */
  readonly gatewayUrl: string;
}

function common(id: AgentIdentity): Record<string, unknown> {
  return { cluster: id.cluster, remote_write_url: `${id.gatewayUrl}/api/v1/push` };
}

/**
 * The agent of one host: certificate files and the disk queue beside the configuration file
 * (`mirador agent` reads relative paths from the file's directory), the host collector and the
 * self-scrape on, no jobs beyond those until the seed pushes some.
 */
export function hostAgentConfig(id: AgentIdentity): Record<string, unknown> {
  return {
    ...common(id),
    tls: { cert_file: "tls.crt", key_file: "tls.key", ca_file: "ca.crt" },
    data_dir: "data",
    self_scrape: true,
    host_collector: { enabled: true },
    scrape_configs: [],
  };
}

function inPod(id: AgentIdentity): Record<string, unknown> {
  return {
    ...common(id),
    tls: {
      cert_file: `${POD_PATHS.tls}/tls.crt`,
      key_file: `${POD_PATHS.tls}/tls.key`,
      ca_file: `${POD_PATHS.tls}/ca.crt`,
    },
    data_dir: POD_PATHS.data,
    // Probes and the cluster agent's scrapes come from outside the pod.
    http_listen_address: "0.0.0.0",
    http_port: AGENT_HTTP_PORT,
  };
}

/**
 * The per-node agent of the DaemonSet: the host collector over the host's /proc and /sys, and the
 * node's container logs from its /var/log/pods, with their pods' app labels from the API (it watches
 * the pods of its node only). It runs no
 * Kubernetes jobs (the cluster agent does, once for the whole cluster) and does not scrape itself:
 * every node's agent would label that series `instance="0.0.0.0:9702"`; the cluster agent scrapes
 * it through its pod's `prometheus.io/*` annotations instead, labelled by pod and node.
 */
export function nodeAgentConfig(id: AgentIdentity): Record<string, unknown> {
  return {
    ...inPod(id),
    self_scrape: false,
    host_collector: { enabled: true, proc_path: POD_PATHS.hostProc, sys_path: POD_PATHS.hostSys },
    // Every container log of the node, from the host's /var/log/pods, with the pods' app labels from
    // the API (docs/agent-logs.md).
    logs: {
      enabled: true,
      pods: {
        dir: `${POD_PATHS.hostLog}/pods`,
        kubernetes: {},
        relabel_configs: [
          {
            action: "labelmap",
            regex: "__meta_kubernetes_pod_label_(app|app_kubernetes_io_(?:name|instance|component))",
          },
        ],
      },
    },
    kubernetes: { default_jobs: false },
    // The seed's jobs are cluster-wide: the cluster agent runs them, not every node's.
    control: { scrape_configs: false },
    scrape_configs: [],
  };
}

/**
 * The cluster-wide agent of the one-replica Deployment: the default Kubernetes jobs (annotated pods
 * and services, kubelet and cAdvisor of every node through the API server), itself, no host.
 */
export function clusterAgentConfig(id: AgentIdentity): Record<string, unknown> {
  return {
    ...inPod(id),
    self_scrape: true,
    host_collector: { enabled: false },
    kubernetes: { default_jobs: true },
    scrape_configs: [],
  };
}
