import { join } from "node:path";
import { stringify } from "yaml";
import { VERSION } from "../../server/version.js";
import { hostAgentConfig } from "./agent-configs.js";
import { kubernetesYaml } from "./kubernetes-manifest.js";

/** The namespace `kubernetes.yaml` installs into unless told otherwise. */
export const DEFAULT_NAMESPACE = "mirador-agent";

/** The agent image `kubernetes.yaml` runs unless told otherwise. */
export const DEFAULT_IMAGE = `mirador:${VERSION}`;

/** What an install bundle is made from. */
export interface BundleInput {
  /** The cluster the bundle installs. */
  readonly cluster: { readonly name: string; readonly project: string };
  /** The cluster's client certificate, its private key and the seed CA (PEM). */
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
  /** The seed gateway's base URL, `https://seed.example:9701` (a trailing `/api/v1/push` is dropped). */
  readonly gatewayUrl: string;
  /** The agent image of `kubernetes.yaml` (default {@link DEFAULT_IMAGE}). */
  readonly image?: string;
  /** The namespace of `kubernetes.yaml` (default {@link DEFAULT_NAMESPACE}). */
  readonly namespace?: string;
  /** Where the bundle will be written, for the commands it prints (`DIR` when not known). */
  readonly dir?: string;
}

/** One file of a bundle: its name in the bundle directory, its text and its mode. */
export interface BundleFile {
  readonly name: string;
  readonly content: string;
  readonly mode: number;
}

/** The commands that install a bundle in `dir`. */
export function installCommands(dir: string): { host: string; kubernetes: string } {
  return {
    host: `mirador-agent --config ${join(dir, "agent.yaml")}`,
    kubernetes: `kubectl apply -f ${join(dir, "kubernetes.yaml")}`,
  };
}

/**
 * The files of a cluster's install bundle: its certificate (`tls.crt`), key (`tls.key`, 0600), the
 * seed CA (`ca.crt`), an `agent.yaml` that runs as is on a host, a `kubernetes.yaml` that installs
 * the agents in a Kubernetes cluster (it holds the key too: 0600), and a `README.txt` with both
 * commands. Pure: writes nothing (see `writeBundle`).
 */
export function installBundle(input: BundleInput): BundleFile[] {
  const gatewayUrl = normaliseGatewayUrl(input.gatewayUrl);
  const id = { cluster: input.cluster.name, gatewayUrl };
  const dir = input.dir ?? "DIR";
  const cmd = installCommands(dir);
  const namespace = input.namespace ?? DEFAULT_NAMESPACE;
  const agentYaml = [
    `# Mirador agent of cluster ${input.cluster.name} (project ${input.cluster.project}).`,
    `# Run on a host: ${cmd.host}`,
    "# Relative paths are read from this file's directory.",
    stringify(hostAgentConfig(id)),
  ].join("\n");
  const kubernetes = kubernetesYaml({
    ...id,
    project: input.cluster.project,
    certPem: input.certPem,
    keyPem: input.keyPem,
    caPem: input.caPem,
    image: input.image ?? DEFAULT_IMAGE,
    namespace,
  });
  return [
    { name: "tls.crt", content: input.certPem, mode: 0o644 },
    { name: "tls.key", content: input.keyPem, mode: 0o600 },
    { name: "ca.crt", content: input.caPem, mode: 0o644 },
    { name: "agent.yaml", content: agentYaml, mode: 0o644 },
    { name: "kubernetes.yaml", content: kubernetes, mode: 0o600 },
    { name: "README.txt", content: readme(input, gatewayUrl, namespace, cmd), mode: 0o644 },
  ];
}

function readme(
  input: BundleInput,
  gatewayUrl: string,
  namespace: string,
  cmd: { host: string; kubernetes: string },
): string {
  const name = input.cluster.name;
  return `Install bundle of Mirador cluster ${name} (project ${input.cluster.project})
Agents ship to the seed gateway at ${gatewayUrl}.

On a Linux host:

  ${cmd.host}

In a Kubernetes cluster (namespace ${namespace}; one agent per node for host metrics,
one for the cluster's pods, services, kubelets and cAdvisor):

  ${cmd.kubernetes}

Files:
  tls.crt          the cluster's client certificate (CN=${name})
  tls.key          its private key: the registry keeps no copy
  ca.crt           the seed's CA, by which the agent trusts the gateway
  agent.yaml       the agent's configuration for a host (paths relative to it)
  kubernetes.yaml  Namespace, RBAC (read-only), Secret, ConfigMap, DaemonSet, Deployment

tls.key and kubernetes.yaml hold the private key: keep them private. Agents renew their
certificate themselves. A lost or leaked bundle is replaced with
  mirador cluster rotate-cert ${name} --revoke-after 1h --output NEW_DIR
`;
}

/**
 * The gateway's base URL as the bundle writes it: https, without a trailing slash or push path.
 * Throws, saying what to give, when `text` is not an https URL.
 */
export function normaliseGatewayUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`gateway URL ${JSON.stringify(text)} is not a URL; give e.g. https://seed.example:9701`);
  }
  if (url.protocol !== "https:")
    throw new Error(`gateway URL ${text} must be https: the gateway only speaks mutual TLS`);
  return `${url.origin}${url.pathname.replace(/\/api\/v1\/push\/?$/, "").replace(/\/+$/, "")}`;
}
