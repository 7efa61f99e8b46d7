/**
 * The gateway's own refusals, each with its reason (the `reason` label of
 * `mirador_gateway_cluster_rejected_total` and the key of `ClusterTraffic.rejected`) and its HTTP
 * status, in one table. Refusals the ingest answers (a corrupt body, a tenant limit) pass through
 * with the ingest's status and are counted as `ingest_refused` or `ingest_unavailable`.
 *
 * The statuses follow docs/api/agent-protocol.md: 400/413 are never retried, 423 stops a flow,
 * 429 and 5xx are retried, 403 is retried slowly until an admin acts.
 */
export const REFUSALS = {
  /** The certificate names no registered cluster. */
  unknown_cluster: 403,
  /** The cluster is being removed: its certificates are revoked, its data about to be deleted. */
  cluster_removing: 403,
  /** The certificate was revoked while this connection was open (new handshakes fail). */
  certificate_revoked: 403,
  /** The flow is switched off for the cluster. */
  flow_disabled: 423,
  /** Over the cluster's samples/s limit. */
  rate_limited: 429,
  /** Over the cluster's log bytes/s limit. */
  log_rate_limited: 429,
  /** The body is larger than the cluster's `max_body_bytes` (or a fixed limit of the endpoint). */
  body_too_large: 413,
  /** A certificate renewal sooner than 10 s after the last one. */
  renewal_too_soon: 429,
} as const;

/** Why the gateway refused a request. */
export type RefusalReason = keyof typeof REFUSALS;

/**
 * A request the gateway refuses by itself: its status comes from {@link REFUSALS}; `message` says
 * which limit was hit and how to change it; `headers` go on the answer (`Retry-After`,
 * `Mirador-Flow`).
 */
export class GatewayRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "GatewayRefusal";
  }

  /** The HTTP status of the refusal's reason. */
  get status(): number {
    return REFUSALS[this.reason];
  }
}

/**
 * The command that changes a cluster's setting, for refusal messages. The flags mirror the
 * `ClusterLimits` fields (`samples_per_second` → `--samples-per-second`).
 */
export function clusterUpdateHint(cluster: string, flag: string): string {
  return `mirador cluster update ${cluster} --${flag}`;
}
