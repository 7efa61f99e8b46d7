// The seed's certificate authority: issues the client certificates that name each cluster and the
// gateway's serving certificate, signs agents' renewal requests and the revocation list, and reads
// the cluster id back from a verified peer certificate.
export {
  CA_LIFETIME_YEARS,
  CA_ORGANIZATION,
  CertificateAuthority,
  CLOCK_SKEW_MS,
  DEFAULT_CA_COMMON_NAME,
  DEFAULT_CERT_LIFETIME_MS,
  type IssuedCertificate,
  type IssueOptions,
  type LoadOrCreateOptions,
  type SignedCertificate,
} from "./authority.js";
export { type CrlEntry, type CrlOptions, DEFAULT_CRL_NEXT_UPDATE_MS } from "./crl.js";
export { MAX_CSR_PEM_LENGTH } from "./csr.js";
export { CaError, type CaErrorCode } from "./errors.js";
export { CA_CERT_FILE, CA_KEY_FILE } from "./files.js";
export { CLUSTER_ORGANIZATION, clusterIdFromPeerCertificate, clusterIdFromTlsSocket } from "./inspect.js";
