import type { PeerCertificate, TLSSocket } from "node:tls";
import { tenantIdProblem } from "../../model/tenant.js";

/** Organization (O) in the subject of every client certificate the CA issues to a cluster. */
export const CLUSTER_ORGANIZATION = "mirador-cluster";

/**
 * The cluster id named by a peer's client certificate: its common name, when the subject has
 * exactly one CN, `O=mirador-cluster`, and the CN is a valid tenant id (`tenantIdProblem`).
 * Returns `undefined` otherwise, including for the empty object `getPeerCertificate()` gives when
 * the peer sent no certificate. It does not check the chain: call it only on a connection whose
 * handshake verified the certificate against the CA (`requestCert` and `rejectUnauthorized`).
 */
export function clusterIdFromPeerCertificate(cert: PeerCertificate | null | undefined): string | undefined {
  // Node types `subject` as always present, but it is absent when no certificate was sent, and a
  // field that occurs more than once in the subject comes as an array of strings.
  const subject: unknown = (cert as { subject?: unknown } | null | undefined)?.subject;
  if (typeof subject !== "object" || subject === null) return undefined;
  const { CN: commonName, O: organization } = subject as Readonly<Record<string, unknown>>;
  if (typeof commonName !== "string" || organization !== CLUSTER_ORGANIZATION) return undefined;
  return tenantIdProblem(commonName) === undefined ? commonName : undefined;
}

/**
 * The cluster id named by the client certificate of `socket`, or `undefined` unless the handshake
 * verified that certificate against the trusted CA (`socket.authorized`). Prefer it to
 * `clusterIdFromPeerCertificate`: it stays safe on a server that was set up with
 * `rejectUnauthorized: false`.
 */
export function clusterIdFromTlsSocket(socket: TLSSocket): string | undefined {
  return socket.authorized ? clusterIdFromPeerCertificate(socket.getPeerCertificate()) : undefined;
}
