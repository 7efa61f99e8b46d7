/** The embedded log store: one head per tenant (WAL, streams, chunks) read through {@link LogQuerier}. */
export type { LogMetadata } from "./block-payload.js";
export type { LogDirection } from "./chunk.js";
export { LOG_BLOCK_VERSION, LogBlock, LogBlockError } from "./log-block.js";
export {
  type LogAppendOptions,
  type LogAppendResult,
  LogHead,
  type LogHeadEntry,
  type LogHeadOptions,
  type LogHeadRefusal,
  type LogHeadStreamInput,
  streamKey,
} from "./log-head.js";
export { type LogRetention, LogStore, type LogStoreStats, type RetentionResult } from "./log-store.js";
export { EMPTY_LOG_QUERIER, MergeLogQuerier } from "./merge-querier.js";
export type {
  LogQuerier,
  LogQueryEntry,
  LogStreamStats,
  LogTimeRange,
  SelectHint,
  StreamLabels,
} from "./querier.js";
