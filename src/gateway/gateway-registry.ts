import type { CertificateAuthority, Cluster, RegistryService } from "../registry/index.js";

/**
 * What the gateway uses of the certificate authority: its certificate (the trust anchor for client
 * certificates), its own serving certificates, and the CRLs of revoked client certificates.
 */
export type GatewayCa = Pick<CertificateAuthority, "certPem" | "issueServerCertificate" | "issueCrl">;

/** The registry operations the gateway calls, plus a synchronous cluster lookup for the hot path. */
export interface GatewayRegistryService
  extends Pick<
    RegistryService,
    | "revokedSerials"
    | "onChange"
    | "touch"
    | "setTrafficSource"
    | "getAgentConfig"
    | "waitAgentConfig"
    | "recordHeartbeat"
    | "renewCertificate"
  > {
  /**
   * The cluster record `name` as the registry last knew it, without I/O; undefined when there is no
   * such cluster. Read on every request, so it must not block.
   */
  cachedCluster(name: string): Cluster | undefined;
}

/**
 * The registry as the gateway sees it: the registry role in this process satisfies it once started
 * (its `service` and `ca`); tests pass an in-memory fake. Both fields are read in
 * `GatewayRole.start()`, not before, since the registry role builds them in its own `start()`.
 */
export interface GatewayRegistry {
  readonly service: GatewayRegistryService;
  readonly ca: GatewayCa;
}
