/** Per-tenant limits: labels, series and rate on ingest; exemplars and metadata kept; what a read may cost. */
export { labelLimitProblem } from "./label-limits.js";
export {
  DEFAULT_LIMITS,
  type IngestLimits,
  type LimitOverrides,
  type Limits,
  type ReadLimits,
  TenantLimits,
} from "./limits.js";
export { IngestRateLimiter, type RateRefusal } from "./rate-limiter.js";
export { SeriesLimiter } from "./series-limiter.js";
