/** The metrics role and what other roles may use of it. */

export type { TenantIngest } from "./ingest/ingest-stats.js";
export type { ReceiveResult } from "./ingest/sample-writer.js";
export { writeOutcome } from "./ingest/sample-writer.js";
export { MetricsRole } from "./metrics-role.js";
