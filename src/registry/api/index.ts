/** The registry's admin HTTP API (`docs/api/openapi.yaml`) and its JSON shapes. */

export {
  REGISTRY_API_PREFIX,
  REGISTRY_ERROR_STATUS,
  type RegistryApiOptions,
  registerRegistryApi,
} from "./registry-api.js";
export type {
  AgentConfigJSON,
  AgentReportJSON,
  BundleJSON,
  CertificateJSON,
  ClusterJSON,
  ProjectJSON,
  StatusJSON,
  TrafficJSON,
} from "./wire.js";
