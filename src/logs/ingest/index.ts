/** Loki push ingest: per-tenant validation of decoded pushes and the HTTP answer. */
export { DEFAULT_LOG_INGEST_LIMITS, type LogIngestLimits } from "./limits.js";
export { pushErrorToHttp, pushOutcome } from "./push-outcome.js";
export {
  type LogRefusalReason,
  type PushValidation,
  truncateUtf8,
  type ValidatedStream,
  type ValidateOptions,
  validatePush,
} from "./validate.js";
