/** The LogQL engine: evaluates parsed log and metric queries over a `LogQuerier`. */
export { LogQLEvalError, type LogQLEvalErrorCode } from "./errors.js";
export { evaluateLogQuery } from "./log-query.js";
export { evaluateMetricQuery, MAX_STEPS } from "./metric-query.js";
export { SAMPLE_EXTRACTION_ERR } from "./range-aggregation.js";
export type {
  Direction,
  LogQueryOptions,
  LogStreamResult,
  MatrixSeries,
  MetricQueryOptions,
  MetricResult,
  StreamEntry,
  VectorSample,
} from "./types.js";
