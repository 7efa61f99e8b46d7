/**
 * The TSDB head: the in-memory, WAL-backed part of each tenant's TSDB (ADR 0007). Other parts of
 * the system use {@link HeadStorage}, which implements the storage seam (`Appendable`/`Queryable`).
 */
export { type ClosedChunk, Head, type HeadOptions, type SeriesSnapshot } from "./head.js";
export { HeadAppender } from "./head-appender.js";
export { HeadQuerier } from "./head-querier.js";
export { HeadStorage, type HeadStorageOptions, type HeadTenantStats } from "./head-storage.js";
