import { createHash } from "node:crypto";
import { stringify } from "yaml";
import {
  AGENT_HTTP_PORT,
  type AgentIdentity,
  clusterAgentConfig,
  nodeAgentConfig,
  POD_PATHS,
} from "./agent-configs.js";

/** A Kubernetes object as plain data. */
export type KubernetesObject = Record<string, unknown> & {
  readonly apiVersion: string;
  readonly kind: string;
};

/** What `kubernetes.yaml` is made from. */
export interface KubernetesInput extends AgentIdentity {
  readonly project: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
  /** The agent image; the `mirador-agent` program (package.json's `bin`) must be on its PATH. */
  readonly image: string;
  readonly namespace: string;
}

/** The names of the objects, each prefixed `mirador-agent`. */
export const OBJECT_NAMES = {
  serviceAccount: "mirador-agent",
  clusterRole: "mirador-agent",
  secret: "mirador-agent-tls",
  configMap: "mirador-agent",
  daemonSet: "mirador-agent-node",
  deployment: "mirador-agent-cluster",
} as const;

/** The ConfigMap keys of the two agents' configurations. */
export const CONFIG_KEYS = { node: "agent-node.yaml", cluster: "agent-cluster.yaml" } as const;

const UNPRIVILEGED_UID = 65534;

/**
 * The objects that run a cluster's agents in Kubernetes:
 *
 * - a Namespace, a ServiceAccount and a ClusterRole bound to it that can only get, list and watch
 *   what discovery reads (pods, nodes, services, endpoints, endpointslices), read kubelet metrics
 *   (`nodes/metrics`) and get `nodes/proxy`, which the default kubelet and cAdvisor jobs scrape
 *   through (`/api/v1/nodes/<node>/proxy/metrics`);
 * - a `kubernetes.io/tls` Secret with the cluster's certificate, key and the seed CA;
 * - a ConfigMap with the two agents' configurations;
 * - a DaemonSet: one agent per node for node-local work (host metrics from the host's /proc and
 *   /sys, and the container logs from /var/log, all read-only, labelled from its node's pods, which
 *   it watches with the service account), on the host's network so that network
 *   figures and the instance name are the node's, its disk queue on the node's disk so that it
 *   survives pod restarts. It runs as root (the queue's hostPath directory and /var/log belong to
 *   root) with every capability dropped, no privilege escalation and a read-only root filesystem;
 * - a one-replica Deployment for cluster-wide targets (the default Kubernetes jobs), as an
 *   unprivileged user, replaced (never doubled) on updates so that no target is scraped twice.
 *
 * The namespace is labelled for the `privileged` Pod Security level: the DaemonSet's hostPath
 * volumes and host network are refused at `baseline`.
 */
export function kubernetesObjects(input: KubernetesInput): KubernetesObject[] {
  const ns = input.namespace;
  const labels = (component?: string) => ({
    "app.kubernetes.io/name": "mirador-agent",
    "app.kubernetes.io/part-of": "mirador",
    "app.kubernetes.io/instance": input.cluster,
    ...(component !== undefined && { "app.kubernetes.io/component": component }),
  });
  const meta = (name: string, component?: string) => ({ name, namespace: ns, labels: labels(component) });
  const configData = {
    [CONFIG_KEYS.node]: configFile(input, "node", nodeAgentConfig(input)),
    [CONFIG_KEYS.cluster]: configFile(input, "cluster", clusterAgentConfig(input)),
  };
  const secretData = {
    "tls.crt": base64(input.certPem),
    "tls.key": base64(input.keyPem),
    "ca.crt": base64(input.caPem),
  };
  // Pods restart when a re-applied bundle changes their configuration or certificate.
  const checksum = createHash("sha256")
    .update(JSON.stringify([configData, secretData]))
    .digest("hex");

  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: ns,
        labels: {
          ...labels(),
          "pod-security.kubernetes.io/enforce": "privileged",
        },
      },
    },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(OBJECT_NAMES.serviceAccount) },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: clusterScopedName(input), labels: labels() },
      rules: [
        {
          apiGroups: [""],
          resources: ["pods", "nodes", "nodes/metrics", "nodes/proxy", "services", "endpoints"],
          verbs: ["get", "list", "watch"],
        },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: clusterScopedName(input), labels: labels() },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterScopedName(input) },
      subjects: [{ kind: "ServiceAccount", name: OBJECT_NAMES.serviceAccount, namespace: ns }],
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta(OBJECT_NAMES.secret),
      type: "kubernetes.io/tls",
      data: secretData,
    },
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(OBJECT_NAMES.configMap), data: configData },
    daemonSet(input, meta(OBJECT_NAMES.daemonSet, "node"), labels("node"), checksum),
    deployment(input, meta(OBJECT_NAMES.deployment, "cluster"), labels("cluster"), checksum),
  ];
}

/** The objects as one multi-document YAML file, with a header saying what it holds. */
export function kubernetesYaml(input: KubernetesInput): string {
  const header = [
    `# Mirador agents of cluster ${JSON.stringify(input.cluster)} (project ${JSON.stringify(input.project)}),`,
    `# shipping to ${input.gatewayUrl}. Apply with: kubectl apply -f kubernetes.yaml`,
    `# Namespace ${input.namespace}: DaemonSet ${OBJECT_NAMES.daemonSet} (per node: host metrics),`,
    `# Deployment ${OBJECT_NAMES.deployment} (cluster-wide: annotated pods and services, kubelet, cAdvisor).`,
    `# The Secret ${OBJECT_NAMES.secret} holds the cluster's private key: keep this file private.`,
  ];
  return `${header.join("\n")}\n${kubernetesObjects(input)
    .map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`)
    .join("")}`;
}

/** ClusterRoles are not namespaced: name them after the namespace so that two installs do not clash. */
function clusterScopedName(input: KubernetesInput): string {
  return input.namespace === "mirador-agent" ? OBJECT_NAMES.clusterRole : `mirador-agent-${input.namespace}`;
}

function configFile(input: KubernetesInput, which: string, config: Record<string, unknown>): string {
  return `# Mirador ${which} agent of cluster ${input.cluster}\n${stringify(config)}`;
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

const probes = {
  livenessProbe: {
    httpGet: { path: "/-/healthy", port: "http" },
    initialDelaySeconds: 10,
    periodSeconds: 30,
    timeoutSeconds: 5,
    failureThreshold: 3,
  },
  readinessProbe: {
    httpGet: { path: "/-/ready", port: "http" },
    periodSeconds: 10,
    timeoutSeconds: 5,
  },
};

const containerSecurity = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

function container(input: KubernetesInput, configKey: string, resources: unknown, mounts: unknown[]) {
  return {
    name: "agent",
    image: input.image,
    imagePullPolicy: "IfNotPresent",
    // `mirador agent` with the agent's Node options (ADR 17).
    command: ["mirador-agent"],
    args: ["--config", `${POD_PATHS.config}/${configKey}`],
    env: [{ name: "MIRADOR_LOG_FORMAT", value: "json" }],
    ports: [{ name: "http", containerPort: AGENT_HTTP_PORT, protocol: "TCP" }],
    resources,
    ...probes,
    volumeMounts: [
      { name: "tls", mountPath: POD_PATHS.tls, readOnly: true },
      { name: "config", mountPath: POD_PATHS.config, readOnly: true },
      { name: "data", mountPath: POD_PATHS.data },
      { name: "tmp", mountPath: "/tmp" },
      ...mounts,
    ],
  };
}

/** The Secret, the ConfigMap and a small /tmp, in both workloads. */
const COMMON_VOLUMES: readonly unknown[] = [
  // 0440: readable by the pod's group (fsGroup), not by others.
  { name: "tls", secret: { secretName: OBJECT_NAMES.secret, defaultMode: 0o440 } },
  { name: "config", configMap: { name: OBJECT_NAMES.configMap } },
  { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
];

function daemonSet(
  input: KubernetesInput,
  metadata: Record<string, unknown>,
  labels: Record<string, string>,
  checksum: string,
): KubernetesObject {
  const hostPath = (name: string, path: string, type: string) => ({ name, hostPath: { path, type } });
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata,
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: {
          labels,
          annotations: {
            "mirador.io/checksum": checksum,
            // The cluster agent's pods job scrapes this agent's own metrics.
            "prometheus.io/scrape": "true",
            "prometheus.io/port": String(AGENT_HTTP_PORT),
          },
        },
        spec: {
          serviceAccountName: OBJECT_NAMES.serviceAccount,
          // The node's agent watches the pods of its node, for the labels of their logs.
          automountServiceAccountToken: true,
          hostNetwork: true,
          dnsPolicy: "ClusterFirstWithHostNet",
          tolerations: [{ operator: "Exists" }],
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              ...container(
                input,
                CONFIG_KEYS.node,
                {
                  requests: { cpu: "50m", memory: "96Mi" },
                  limits: { cpu: "500m", memory: "256Mi" },
                },
                [
                  { name: "host-proc", mountPath: POD_PATHS.hostProc, readOnly: true },
                  { name: "host-sys", mountPath: POD_PATHS.hostSys, readOnly: true },
                  { name: "host-log", mountPath: POD_PATHS.hostLog, readOnly: true },
                ],
              ),
              // The node's name labels its container logs (`node`).
              env: [
                { name: "MIRADOR_LOG_FORMAT", value: "json" },
                { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
              ],
              securityContext: { ...containerSecurity, runAsNonRoot: false },
            },
          ],
          volumes: [
            ...COMMON_VOLUMES,
            hostPath("data", POD_PATHS.data, "DirectoryOrCreate"),
            hostPath("host-proc", "/proc", "Directory"),
            hostPath("host-sys", "/sys", "Directory"),
            hostPath("host-log", "/var/log", "Directory"),
          ],
        },
      },
    },
  };
}

function deployment(
  input: KubernetesInput,
  metadata: Record<string, unknown>,
  labels: Record<string, string>,
  checksum: string,
): KubernetesObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      strategy: { type: "Recreate" },
      template: {
        metadata: { labels, annotations: { "mirador.io/checksum": checksum } },
        spec: {
          serviceAccountName: OBJECT_NAMES.serviceAccount,
          automountServiceAccountToken: true,
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: UNPRIVILEGED_UID,
            runAsGroup: UNPRIVILEGED_UID,
            fsGroup: UNPRIVILEGED_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              ...container(
                input,
                CONFIG_KEYS.cluster,
                {
                  requests: { cpu: "100m", memory: "256Mi" },
                  limits: { cpu: "1", memory: "1Gi" },
                },
                [],
              ),
              securityContext: { ...containerSecurity, runAsNonRoot: true },
            },
          ],
          volumes: [...COMMON_VOLUMES, { name: "data", emptyDir: { sizeLimit: "2Gi" } }],
        },
      },
    },
  };
}
