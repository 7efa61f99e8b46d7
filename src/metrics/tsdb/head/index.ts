/**
 * The TSDB head: the in-memory, WAL-backed part of each tenant's TSDB (ADR 0007). Other parts of
 * the system use the multi-tenant `TSDB` (`../tsdb.ts`), which implements the storage seam.
 */
export {
  type ClosedChunk,
  DEFAULT_BLOCK_DURATION_MS,
  Head,
  type HeadOptions,
  type SeriesSnapshot,
  type TruncateResult,
} from "./head.js";
export { HeadAppender } from "./head-appender.js";
export { HeadBlockSource } from "./head-block-source.js";
export { HeadQuerier } from "./head-querier.js";
