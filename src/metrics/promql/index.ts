/**
 * PromQL: parser, printer and evaluation engine. Other roles reach the package through this file.
 */
export type {
  AggregateExpr,
  AggregateOp,
  AtModifier,
  BinaryExpr,
  BinaryOp,
  Call,
  Expr,
  MatrixSelector,
  NumberLiteral,
  ParenExpr,
  StringLiteral,
  SubqueryExpr,
  UnaryExpr,
  ValueType,
  VectorMatching,
  VectorSelector,
} from "./ast.js";
export { documentedType, typeOf, walk } from "./ast.js";
export { formatDuration } from "./duration.js";
export { Engine, type EngineOptions, type QueryOptions } from "./engine.js";
export {
  BadQueryError,
  ExecutionError,
  ParseError,
  type PositionRange,
  PromQLError,
  type PromQLErrorCode,
  QueryCanceledError,
  QueryTimeoutError,
} from "./errors.js";
export {
  formatTimestamp,
  formatTimestampJSON,
  formatValue,
  labelsJSON,
  MAX_TIME_MS,
  MIN_TIME_MS,
  parseDuration,
  parseTime,
  resultToJSON,
} from "./format.js";
export { FUNCTIONS, type FunctionSignature } from "./function-signatures.js";
export { type ParseOptions, parseExpr, parseSeriesSelector } from "./parser.js";
export { formatExpr } from "./printer.js";
export type { MatrixSeries, QueryResult, QueryValue, VectorSample } from "./result.js";
