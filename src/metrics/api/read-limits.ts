import { formatDurationMs } from "../../lib/duration/duration.js";
import { HttpError } from "../../server/errors.js";
import type { TenantLimits } from "../limits/index.js";
import { ExecutionError, PromQLError, type QueryResult, QueryTimeoutError } from "../promql/index.js";
import { durationParam } from "./params.js";

/**
 * The per-tenant read limits as the query API applies them (`metrics.limits` and
 * `metrics.tenant_limits.<tenant>`: `max_samples_per_query`, `query_timeout`,
 * `max_series_per_query`): a read over several tenants runs under the strictest of theirs, and each
 * refusal names the limit and the setting that changes it.
 */

/** A query's time limit: where it came from, for the message when it passes. */
export interface QueryTimeout {
  /** ms; 0 when there is none. */
  readonly ms: number;
  /** What to raise to give queries more time. */
  readonly raise: string;
}

/**
 * The time limit of a query: the request's `timeout` parameter, bounded by the tenants'
 * `query_timeout` (which is also the default); none when neither sets one.
 */
export function queryTimeout(
  params: URLSearchParams,
  tenants: readonly string[],
  limits: TenantLimits,
): QueryTimeout {
  const limit = limits.strictest(tenants, "query_timeout");
  const asked = durationParam(params, "timeout");
  if (asked !== undefined && asked > 0 && (limit.value === 0 || asked < limit.value))
    return { ms: asked, raise: 'the request\'s "timeout" parameter' };
  return { ms: limit.value, raise: limit.setting };
}

/**
 * The API error for an error of a query's evaluation: PromQL's typed errors keep their code
 * (`bad_data` 400, `execution` 422, `timeout` 503, `canceled` 499), the sample and time limits say
 * which setting to raise, and a storage read cut by the deadline or the caller is a timeout or a
 * cancellation. Anything else passes through unchanged.
 */
export function queryError(
  err: unknown,
  signal: AbortSignal,
  maxSamples: { value: number; setting: string },
  timeout: QueryTimeout,
): unknown {
  if (
    err instanceof ExecutionError &&
    err.message.startsWith("query processing would load too many samples")
  ) {
    return new HttpError(
      "execution",
      `query processing would load too many samples into memory in query execution (limit: ${maxSamples.value} samples); ` +
        `narrow the query (fewer series, a shorter range or a larger step) or raise ${maxSamples.setting}`,
    );
  }
  const timedOut =
    err instanceof QueryTimeoutError ||
    (!(err instanceof PromQLError) && signal.aborted && isTimeout(signal.reason));
  if (timedOut) {
    const after = timeout.ms > 0 ? ` after ${formatDurationMs(timeout.ms)}; raise ${timeout.raise}` : "";
    return new HttpError("timeout", `query timed out in expression evaluation${after}`);
  }
  if (err instanceof PromQLError) return new HttpError(err.code, err.message);
  if (signal.aborted) return new HttpError("canceled", "query was canceled in expression evaluation");
  return err;
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === "TimeoutError";
}

/**
 * Throws 422 when a read returns more than the tenants' `max_series_per_query`. `what` names the
 * answer ("the query's result", "/api/v1/series"), `unit` what is counted.
 */
export function checkSeriesLimit(
  count: number,
  what: string,
  tenants: readonly string[],
  limits: TenantLimits,
  unit = "series",
): void {
  const max = limits.strictest(tenants, "max_series_per_query");
  if (max.value === 0 || count <= max.value) return;
  throw new HttpError(
    "execution",
    `${what} has more than ${max.value} ${unit}, the limit of ${max.setting}; ` +
      "select fewer series (more label matchers, an aggregation, a shorter range) or raise that setting",
  );
}

/**
 * Truncates a vector or matrix result to `limit` series (0: no limit), with Prometheus's warning
 * when it does. Scalars and strings pass unchanged.
 */
export function limitResult(result: QueryResult, limit: number): [QueryResult, string[]] {
  if (limit <= 0) return [result, []];
  const truncated = ["results truncated due to limit"];
  if (result.resultType === "vector" && result.series.length > limit)
    return [{ ...result, series: result.series.slice(0, limit) }, truncated];
  if (result.resultType === "matrix" && result.series.length > limit)
    return [{ ...result, series: result.series.slice(0, limit) }, truncated];
  return [result, []];
}

/** Series in a result: 0 for a scalar or a string. */
export function resultSeries(result: QueryResult): number {
  return result.resultType === "vector" || result.resultType === "matrix" ? result.series.length : 0;
}
