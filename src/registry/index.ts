/** The registry role: projects, clusters, their certificates and agent configurations, and the CA. */

export {
  CaError,
  CertificateAuthority,
  type CrlEntry,
  clusterIdFromTlsSocket,
  type IssuedCertificate,
  type SignedCertificate,
} from "./ca/index.js";
export type {
  AgentRemoteConfig,
  AgentRemoteConfigBody,
  AgentReport,
  CertificateRecord,
  Cluster,
  ClusterLimits,
  ClusterSpec,
  ClusterState,
  ClusterStatus,
  ClusterTraffic,
  Flow,
  IssuedBundleCertificate,
  Project,
  RegistryEvent,
  RegistryService,
  RevocationReason,
  SignedClusterCertificate,
} from "./model.js";
export { RegistryError } from "./model.js";
export { RegistryRole } from "./registry-role.js";
export { Registry, type RegistryOptions, type TenantDataDeleter } from "./registry-service.js";
