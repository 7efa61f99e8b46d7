/** Per-tenant ingest limits: labels, series and rate. */
export { labelLimitProblem } from "./label-limits.js";
export { DEFAULT_LIMITS, type IngestLimits, type LimitOverrides, TenantLimits } from "./limits.js";
export { IngestRateLimiter, type RateRefusal } from "./rate-limiter.js";
export { SeriesLimiter } from "./series-limiter.js";
