/** The registry role: clusters and the certificate authority. */

export { CertificateAuthority, clusterIdFromTlsSocket, type IssuedCertificate } from "./ca/index.js";
export type { Cluster } from "./cluster-store.js";
export { RegistryRole } from "./registry-role.js";
