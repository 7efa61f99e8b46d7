/** A cluster's install bundle: certificate, key, CA, a host agent.yaml and a kubernetes.yaml. */

export { AGENT_HTTP_PORT, clusterAgentConfig, hostAgentConfig, nodeAgentConfig } from "./agent-configs.js";
export {
  type BundleFile,
  type BundleInput,
  DEFAULT_IMAGE,
  DEFAULT_NAMESPACE,
  installBundle,
  installCommands,
  normaliseGatewayUrl,
} from "./install-bundle.js";
export { type KubernetesObject, kubernetesObjects } from "./kubernetes-manifest.js";
export { writeBundle } from "./write-bundle.js";
