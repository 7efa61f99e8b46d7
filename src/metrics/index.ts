/** The metrics role and what other roles may use of it. */

export type { TenantIngest } from "./ingest/ingest-stats.js";
export type { ReceiveResult } from "./ingest/remote-write-receiver.js";
export { answerWrite, MetricsRole } from "./metrics-role.js";
